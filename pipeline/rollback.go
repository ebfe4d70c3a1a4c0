package pipeline

import (
	"context"

	"dagger/immutable/publish"
)

// Rollback moves the floating tags of version to's lines in reg that point
// at a newer release back to it, and records it (see publish.Rollback):
// the rollback flow of both doors.
func Rollback(ctx context.Context, reg Registry, to string) (*publish.Result, error) {
	v, err := publish.ParseVersion(to)
	if err != nil {
		return nil, err
	}
	t, err := reg.target(ctx)
	if err != nil {
		return nil, err
	}
	return publish.Rollback(ctx, t, v, reg.Publish)
}
