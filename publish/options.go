package publish

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Options are the publish rules: the tag prefix, the host lock, the
// progress log, the record's clock and the hooks of a release. How the
// registry is reached is Access (see NewTarget). The zero value is usable:
// prefix "v", the default lock directory, no log.
type Options struct {
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

// client is one operation's view of a target: its remote options bound to
// the operation's context, the effective prefix and the rules.
type client struct {
	*Target
	prefix string
	o      Options
}

// newClient checks o's prefix and binds t's requests to ctx.
func newClient(ctx context.Context, t *Target, o Options) (*client, error) {
	prefix := o.prefix()
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	bound := *t
	bound.opts = append(append([]remote.Option(nil), t.opts...), remote.WithContext(ctx))
	return &client{Target: &bound, prefix: prefix, o: o}, nil
}
