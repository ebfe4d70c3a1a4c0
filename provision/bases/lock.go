package bases

import "dagger/immutable/baselock"

// The lock's types live in the leaf package baselock, which the pipeline
// reads without importing this package.
type (
	Lock        = baselock.Lock
	NPMPackage  = baselock.NPMPackage
	Debian      = baselock.Debian
	Deb         = baselock.Deb
	Images      = baselock.Images
	Image       = baselock.Image
	LockedLayer = baselock.LockedLayer
	// RuntimePlatform is the runtime of another platform than linux/amd64.
	RuntimePlatform = baselock.RuntimePlatform
)

// DefaultPlatform is the platform of the lock's runtime and builder,
// "linux/amd64".
const DefaultPlatform = baselock.DefaultPlatform

// LockSchema is the lock format this package writes.
const LockSchema = baselock.LockSchema

// LoadLock reads and checks a lock file.
func LoadLock(path string) (*Lock, error) { return baselock.Load(path) }

// Changes lists what differs between two locks' inputs (baselock.Changes).
func Changes(old, new *Lock) []string { return baselock.Changes(old, new) }

func refIn(registry string, im Image) string { return baselock.RefIn(registry, im) }

func sortDebs(d []Deb) { baselock.SortDebs(d) }

func sortPlatforms(p []RuntimePlatform) { baselock.SortPlatforms(p) }
