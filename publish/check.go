package publish

import (
	"context"
	"fmt"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Check validates a release before any work is done: the version's tags
// under o's prefix, and that the registry is reachable and lets the
// target's credentials push to its repository. It writes nothing (an upload
// session it opens to test the credentials is cancelled). A release calls
// it before building, so a typo or a wrong password costs seconds, not a
// build.
func Check(ctx context.Context, t *Target, v *semver.Version, o Options) error {
	c, err := newClient(ctx, t, o)
	if err != nil {
		return err
	}
	if _, _, err := tagsOf(v, c.prefix); err != nil {
		return err
	}
	if err := remote.CheckPushPermission(c.repo.Tag(LatestTag), c.keychain(), c.base); err != nil {
		return classify(fmt.Errorf("checking push access to %s: %w", c.repo, err))
	}
	return nil
}
