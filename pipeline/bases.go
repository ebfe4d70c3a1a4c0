package pipeline

import (
	"context"
	"fmt"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/name"

	"dagger/immutable/baselock"
)

// DefaultBaseRegistry is the registry `go run ./ci up` pushes the project's
// bases to, and where the default bases are pulled from.
const DefaultBaseRegistry = "localhost:5000"

// defaultBases fills in the bases left empty, the same way for every door:
// the runtime is the project's node-runtime by the digest baselock/bases.lock
// pins; the builder is the node-builder that `up` provisioned for this lock
// (its "<node>-<inputs hash>" tag), resolved here to the digest it points
// at. The builder may differ between machines when Debian's mirror moved on
// (see provision/bases); a pure-JS app's digest does not depend on it, and
// the release record names the one used.
func defaultBases(ctx context.Context, c *dagger.Client, o *BuildOptions) error {
	l := baselock.Default()
	if o.RuntimeBase == "" {
		o.RuntimeBase = l.RuntimeRefIn(DefaultBaseRegistry)
	}
	if o.BuilderBase != "" {
		return nil
	}
	tag := l.BuilderTagIn(DefaultBaseRegistry)
	ref, err := c.Container().From(tag).ImageRef(ctx)
	if err != nil {
		return fmt.Errorf("build: %w: the default builder %s is not in the registry: run `go run ./ci up` (or pass --builder-base repo@sha256:…): %w", ErrBaseUnavailable, tag, err)
	}
	d, err := name.NewDigest(ref)
	if err != nil {
		return fmt.Errorf("build: %w: the default builder %s resolved to %q, not a digest", ErrBaseUnavailable, tag, ref)
	}
	o.BuilderBase = d.Context().Name() + "@" + d.DigestStr()
	return nil
}
