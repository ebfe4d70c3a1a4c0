package pipeline

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"dagger.io/dagger"

	"dagger/immutable/publish"
)

// buildCounts counts buildApp calls by BuildOptions.Revision, for tests
// that assert a release did not build (each uses its own revision, so tests
// running at the same time do not count each other's builds).
var buildCounts sync.Map // revision -> *atomic.Int64

func init() {
	inner := buildApp
	buildApp = func(ctx context.Context, c *dagger.Client, o BuildOptions) (*Build, error) {
		if n, ok := buildCounts.Load(o.Revision); ok {
			n.(*atomic.Int64).Add(1)
		}
		return inner(ctx, c, o)
	}
}

// CountBuilds counts the builds Release starts for revision until the test
// ends.
func CountBuilds(t testing.TB, revision string) *atomic.Int64 {
	n := &atomic.Int64{}
	buildCounts.Store(revision, n)
	t.Cleanup(func() { buildCounts.Delete(revision) })
	return n
}

// ReleaseInputs is releaseInputs, unsigned.
func ReleaseInputs(ctx context.Context, c *dagger.Client, o ReleaseOptions) (*publish.Inputs, error) {
	return releaseInputs(ctx, c, o, nil)
}
