package publish

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Check validates a release before any work is done: the version and its
// tags, the repository name, and that the registry is reachable and lets
// these credentials push to repo. It writes nothing (an upload session it
// opens to test the credentials is cancelled). A release calls it before
// building, so a typo or a wrong password costs seconds, not a build.
func Check(ctx context.Context, repo, version string, o Options) error {
	c, err := newClient(ctx, repo, o)
	if err != nil {
		return err
	}
	if _, _, err := Tags(version, c.prefix); err != nil {
		return err
	}
	var kc authn.Keychain = authn.NewMultiKeychain()
	switch {
	case o.Auth != nil:
		kc = staticKeychain{o.Auth}
	case o.Keychain != nil:
		kc = o.Keychain
	}
	ref := c.repo.Tag(LatestTag)
	if err := remote.CheckPushPermission(ref, kc, c.base); err != nil {
		return classify(fmt.Errorf("checking push access to %s: %w", c.repo, err))
	}
	return nil
}

// staticKeychain resolves every registry to one authenticator.
type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }
