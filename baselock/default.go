package baselock

import _ "embed"

// DefaultPath is the committed lock, relative to the repository root; its
// runtime .debs are in debs/ beside it (baselock/debs, baselock/debs/arm64).
const DefaultPath = "baselock/bases.lock"

//go:embed bases.lock
var defaultLock []byte

// Default is the committed lock (bases.lock in this directory), embedded at
// build time, so the Dagger module and ci/ read the same default bases. It
// panics if the embedded file does not parse: `go test ./baselock` checks it.
func Default() *Lock {
	l, err := Parse(defaultLock, DefaultPath)
	if err != nil {
		panic(err)
	}
	return l
}
