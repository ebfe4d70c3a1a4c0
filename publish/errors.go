package publish

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Error classes. Every error from this package that has one of these causes
// wraps it, so callers can tell what to fix with errors.Is.
var (
	// ErrInvalidVersion: the version is not strict semver (or not a valid
	// tag), e.g. "1.0", "latest", "1.0.0;rm -rf /".
	ErrInvalidVersion = errors.New("invalid version")
	// ErrInvalidRepository: the repository name is not a valid image
	// repository, e.g. upper case or a tag in it.
	ErrInvalidRepository = errors.New("invalid repository")
	// ErrVersionExists: the version is already released with another
	// digest; version tags are immutable.
	ErrVersionExists = errors.New("version already released with another digest")
	// ErrUnauthorized: the registry refused the credentials (401/403).
	ErrUnauthorized = errors.New("registry refused the credentials")
	// ErrUnreachable: no connection to the registry (refused, no route,
	// unknown host, timeout).
	ErrUnreachable = errors.New("registry unreachable")
)

// classError adds a class and a hint to an error while keeping its text
// and its chain.
type classError struct {
	class error
	hint  string
	err   error
}

func (e *classError) Error() string   { return e.err.Error() + e.hint }
func (e *classError) Unwrap() []error { return []error{e.class, e.err} }

// classify wraps registry errors in ErrUnauthorized or ErrUnreachable; other
// errors (and already classified ones) are returned unchanged.
func classify(err error) error {
	if err == nil || errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrUnreachable) {
		return err
	}
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return &classError{ErrUnauthorized, " (the registry refused the credentials: check the registry username and password or token)", err}
	}
	var oerr *net.OpError
	var dnsErr *net.DNSError
	if (errors.As(err, &oerr) && oerr.Op == "dial") || errors.As(err, &dnsErr) {
		return &classError{ErrUnreachable, " (cannot connect to the registry: is it running and is the address right?)", err}
	}
	return err
}

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
	base := o.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	var kc authn.Keychain = authn.NewMultiKeychain()
	switch {
	case o.Auth != nil:
		kc = staticKeychain{o.Auth}
	case o.Keychain != nil:
		kc = o.Keychain
	}
	ref := c.repo.Tag(LatestTag)
	if err := remote.CheckPushPermission(ref, kc, base); err != nil {
		return classify(fmt.Errorf("checking push access to %s: %w", c.repo, err))
	}
	return nil
}

// staticKeychain resolves every registry to one authenticator.
type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }
