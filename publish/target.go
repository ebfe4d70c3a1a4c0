package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Access says how to reach a registry: TLS, credentials, the HTTP
// transport and retries. The zero value is usable: anonymous access, TLS
// except for localhost, loopback and private addresses, and
// go-containerregistry's retries. Publish rules (tag prefix, lock, log) are
// Options; Access is only about reaching the registry.
type Access struct {
	// Insecure talks plain HTTP to the registry. Without it TLS is used,
	// except for localhost, loopback and private addresses, which
	// go-containerregistry reaches over HTTP anyway. The default is false.
	Insecure bool

	// Auth authenticates to the registry, e.g. &authn.Basic{Username: u,
	// Password: token}. Keychain resolves credentials per registry instead,
	// e.g. authn.DefaultKeychain (~/.docker/config.json). Setting both is an
	// error. The default (both nil) is anonymous access.
	Auth     authn.Authenticator
	Keychain authn.Keychain

	// Transport is the base HTTP transport. The default is
	// remote.DefaultTransport. Byte counting, auth and retries wrap it, and
	// so does a wait that honours Retry-After on 429 and 503 responses (at
	// most 30s per response).
	Transport http.RoundTripper

	// Backoff paces go-containerregistry's retries of failed requests and
	// uploads (network errors, 408, 429, 5xx). Steps is the number of
	// attempts and must be at least 1 (with 0, go-containerregistry would
	// not even try). The default (nil) is go-containerregistry's: 3
	// attempts, waiting about 1s, then 3s.
	Backoff *remote.Backoff

	// remote is a test seam: extra go-containerregistry options.
	remote []remote.Option
}

// Reference parses an image reference (repo:tag or repo@sha256:…) the way
// a says (plain HTTP when Insecure).
func (a Access) Reference(ref string) (name.Reference, error) {
	var nopts []name.Option
	if a.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w (want e.g. localhost:5000/app:v1.2.3 or ...@sha256:...)", ref, err)
	}
	return r, nil
}

// Target is one repository and the access to it: the parsed name, the
// credentials, the transport (Retry-After honoured, manifests and small
// blobs read inside the retried round trip, blob traffic counted) and the
// retries. It is made once per operation and reused for every request of
// it — a release's check, lookup, push, attachments and signature — as
// ko's publisher makes its remote options once.
type Target struct {
	repo   name.Repository
	access Access
	// base is the HTTP transport under the counting, auth and retry layers.
	base  http.RoundTripper
	count *counter
	opts  []remote.Option
}

// NewTarget validates repo (e.g. localhost:5000/my-app) and a, and builds
// the go-containerregistry options every request to repo uses. Requests
// made through the target are bound to ctx.
func NewTarget(ctx context.Context, repo string, a Access) (*Target, error) {
	if a.Auth != nil && a.Keychain != nil {
		return nil, errors.New("registry access: set Auth or Keychain, not both")
	}
	if a.Backoff != nil && a.Backoff.Steps < 1 {
		return nil, fmt.Errorf("registry access: Backoff.Steps is %d; it counts attempts and must be at least 1", a.Backoff.Steps)
	}
	var nopts []name.Option
	if a.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.NewRepository(repo, nopts...)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w; want e.g. localhost:5000/my-app (lower case, no tag or digest)", ErrInvalidRepository, repo, err)
	}
	base := a.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	t := &Target{repo: r, access: a, base: base, count: &counter{}}
	t.opts = []remote.Option{remote.WithContext(ctx), remote.WithTransport(t.count.wrap(honourRetryAfter(bufferSmall{base: base})))}
	if a.Backoff != nil {
		t.opts = append(t.opts, remote.WithRetryBackoff(*a.Backoff))
	}
	switch {
	case a.Auth != nil:
		t.opts = append(t.opts, remote.WithAuth(a.Auth))
	case a.Keychain != nil:
		t.opts = append(t.opts, remote.WithAuthFromKeychain(a.Keychain))
	}
	t.opts = append(t.opts, a.remote...)
	return t, nil
}

// Repository is the target's repository.
func (t *Target) Repository() name.Repository { return t.repo }

// Remote returns the go-containerregistry options of every request to the
// target. Other writers to the same repository (SBOMs, attestations,
// signatures) use them so that they fail and retry as publish does.
func (t *Target) Remote() []remote.Option { return t.opts }

// String is the repository's name.
func (t *Target) String() string { return t.repo.String() }

// keychain resolves the target's credentials for checks that take one.
func (t *Target) keychain() authn.Keychain {
	switch {
	case t.access.Auth != nil:
		return staticKeychain{t.access.Auth}
	case t.access.Keychain != nil:
		return t.access.Keychain
	}
	return authn.NewMultiKeychain()
}

// staticKeychain resolves every registry to one authenticator.
type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }
