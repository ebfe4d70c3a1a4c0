package checks

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"dagger/immutable/repro"
)

// Reproducible returns nil when a and b have the same digest, and otherwise
// an error "digest <a> != <b>" followed by repro.Diff's report of the
// differing config fields, layers and files.
func Reproducible(a, b v1.Image) error {
	r, err := repro.Diff(a, b)
	if err != nil {
		return fmt.Errorf("reproducible: %w", err)
	}
	if r.Equal {
		return nil
	}
	return fmt.Errorf("digest %s != %s\n%s", r.A.Digest, r.B.Digest, r)
}
