package pipeline

import (
	"errors"
	"fmt"
	"strings"
)

// Error classes of the build and release. An error wraps one of these (or
// one of the nodeapp and publish classes), so callers and CI can tell what
// to fix with errors.Is.
var (
	// ErrEmptySource: the source directory has no files.
	ErrEmptySource = errors.New("source directory is empty")
	// ErrUnpinnedBase: a base image is given by tag, not by digest.
	ErrUnpinnedBase = errors.New("base image not pinned by digest")
	// ErrInvalidBase: a base image reference is missing or malformed.
	ErrInvalidBase = errors.New("invalid base image reference")
	// ErrBaseUnavailable: a base image cannot be pulled (e.g. the digest
	// does not exist in its repository).
	ErrBaseUnavailable = errors.New("base image unavailable")
	// ErrNativeCrossBuild: a multi-platform build has dependencies that
	// compile for the build host and cannot be made for another platform.
	ErrNativeCrossBuild = errors.New("dependencies cannot be built for another platform")
	// ErrGateFailed: a release gate failed; see GateError for which.
	ErrGateFailed = errors.New("release gate failed")
)

// GateError is a release blocked by failing gates. It matches
// ErrGateFailed with errors.Is.
type GateError struct {
	// Gates are the failing gates' names, e.g. ["unit", "reproducible"].
	Gates []string
	// Err is the first gate's error, when there is one.
	Err error
}

func (e *GateError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("release blocked: gate %s failed; nothing was published", strings.Join(e.Gates, ", "))
	}
	return fmt.Sprintf("release blocked: gate %s failed: %v; nothing was published", strings.Join(e.Gates, ", "), e.Err)
}

// Is makes errors.Is(err, ErrGateFailed) true.
func (e *GateError) Is(target error) bool { return target == ErrGateFailed }

// Unwrap returns the gate's own error.
func (e *GateError) Unwrap() error { return e.Err }
