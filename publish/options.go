package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Options configure registry access and tagging. The zero value is usable:
// anonymous access, TLS except for localhost/loopback, prefix "v", no log.
type Options struct {
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

	// TagPrefix is prepended to version and floating tags (not to "latest").
	// nil means DefaultTagPrefix ("v"); new("") tags bare versions (1.2.3).
	TagPrefix *string

	// Log receives one progress line per step ("==> publish: ..."). The
	// default (nil) is silent.
	Log io.Writer

	// Now stamps Record.Created when the caller left it zero. It only dates
	// the record; it never affects the image. The default is time.Now.
	Now func() time.Time

	// LockDir holds the per-repository lock files that serialize publishes
	// and rollbacks on this host. "" means DefaultLockDir().
	LockDir string

	// BeforeTags runs once Publish has written and verified the image by
	// digest and before it writes the record or any tag, under the
	// repository lock: a release pushes its attachments (SBOM, provenance,
	// signatures) there, so no version tag ever points at an image without
	// them. An error stops the publish with no tag changed. It does not run
	// when the version is already completely released. The default (nil)
	// does nothing.
	BeforeTags func(ctx context.Context) error

	// MountFrom are images (e.g. the runtime base,
	// localhost:5000/immutable/node-runtime@sha256:…) that may share layers
	// with the published image. A shared layer is mounted from that image's
	// repository (a cross-repository blob mount: no bytes sent) when it is in
	// the same registry as the repository published to. An image that cannot
	// be read is skipped. The default (nil) mounts nothing.
	MountFrom []string

	// remote is a test seam: extra go-containerregistry options.
	remote []remote.Option
	// noLock and afterPlan are test seams for the lock's negative control:
	// publish without the host lock, and pause once the plan is made.
	noLock    bool
	afterPlan func(version string)
}

// prefix returns the effective tag prefix.
func (o Options) prefix() string {
	if o.TagPrefix == nil {
		return DefaultTagPrefix
	}
	return *o.TagPrefix
}

// now returns the record time in UTC, to the second.
func (o Options) now() time.Time {
	f := o.Now
	if f == nil {
		f = time.Now
	}
	return f().UTC().Truncate(time.Second)
}

func (o Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, "==> "+format+"\n", args...)
	}
}

// client is one operation's view of a repository: parsed name, remote
// options (with a fresh byte counter) and the effective prefix.
type client struct {
	repo   name.Repository
	prefix string
	// base is the HTTP transport under the counting, auth and retry layers.
	base  http.RoundTripper
	count *counter
	opts  []remote.Option
	o     Options
}

// RemoteOptions returns repo, parsed as o says, with the go-containerregistry
// options publish itself uses for it: the transport (Retry-After honoured,
// manifests and small blobs read inside the retried round trip), o.Backoff
// and the credentials. Other writers to the same registry (SBOMs,
// signatures) use them so that they fail and retry as publish does.
func RemoteOptions(ctx context.Context, repo string, o Options) (name.Repository, []remote.Option, error) {
	c, err := newClient(ctx, repo, o)
	if err != nil {
		return name.Repository{}, nil, err
	}
	return c.repo, c.opts, nil
}

// newClient validates repo and options and builds the remote options.
func newClient(ctx context.Context, repo string, o Options) (*client, error) {
	if o.Auth != nil && o.Keychain != nil {
		return nil, errors.New("publish options: set Auth or Keychain, not both")
	}
	if o.Backoff != nil && o.Backoff.Steps < 1 {
		return nil, fmt.Errorf("publish options: Backoff.Steps is %d; it counts attempts and must be at least 1", o.Backoff.Steps)
	}
	prefix := o.prefix()
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.NewRepository(repo, nopts...)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w; want e.g. localhost:5000/my-app (lower case, no tag or digest)", ErrInvalidRepository, repo, err)
	}
	base := o.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	c := &client{repo: r, prefix: prefix, base: base, count: &counter{}, o: o}
	c.opts = []remote.Option{remote.WithContext(ctx), remote.WithTransport(c.count.wrap(honourRetryAfter(bufferSmall{base: base})))}
	if o.Backoff != nil {
		c.opts = append(c.opts, remote.WithRetryBackoff(*o.Backoff))
	}
	switch {
	case o.Auth != nil:
		c.opts = append(c.opts, remote.WithAuth(o.Auth))
	case o.Keychain != nil:
		c.opts = append(c.opts, remote.WithAuthFromKeychain(o.Keychain))
	}
	c.opts = append(c.opts, o.remote...)
	return c, nil
}
