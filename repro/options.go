package repro

import (
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/gzip"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TimeMode says how Normalize treats entry timestamps.
type TimeMode int

const (
	// SetTimes sets every entry's mtime to the epoch. This is the default:
	// the result does not depend on the mtimes the build happened to leave
	// (a source checkout, npm's fixed 1985 timestamps, build-time dirs).
	SetTimes TimeMode = iota
	// ClampTimes keeps mtimes older than the epoch and sets newer ones to the
	// epoch, as buildkit's rewrite-timestamp and SOURCE_DATE_EPOCH tooling
	// do. Only reproducible if older mtimes are themselves reproducible.
	ClampTimes
)

// DefaultNoise lists paths that package managers leave behind and that
// differ from build to build: npm's cache and logs (root's and any user's)
// and npm/yarn error logs. Pass it to Remove. npm's hidden lockfile
// node_modules/.package-lock.json is not listed: its content is derived
// from package-lock.json and is deterministic; only its mtime varies, and
// Normalize fixes mtimes.
var DefaultNoise = []string{
	"/root/.npm",
	"/home/*/.npm",
	"/root/.cache/node-gyp",
	"npm-debug.log*",
	"yarn-error.log",
}

// Option configures Normalize.
type Option func(*options) error

type options struct {
	skip     int
	base     v1.Image
	mode     TimeMode
	level    int
	uid, gid *int
	remove   []string
	dropped  *[]string
	mu       sync.Mutex // guards *dropped: layers are rewritten concurrently
}

// drop records an entry Remove dropped.
func (o *options) drop(name string) {
	if o.dropped == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	*o.dropped = append(*o.dropped, name)
}

func makeOptions(opts ...Option) (*options, error) {
	o := &options{
		mode:  SetTimes,
		level: DefaultCompressionLevel,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.base != nil && o.skip != 0 {
		return nil, errors.New("repro: Base and SkipLayers are mutually exclusive")
	}
	return o, nil
}

// SkipLayers keeps the first n layers (the base image's) byte for byte, so
// their digests stay those of the pinned base. The default is 0: every
// layer is rewritten.
func SkipLayers(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("repro: SkipLayers(%d): must be >= 0", n)
		}
		o.skip = n
		return nil
	}
}

// Base keeps the layers the image shares with base untouched. Normalize
// fails if base's layers are not a prefix of the image's (compared by
// diff_id), which catches building on a different base than the one
// pinned.
func Base(base v1.Image) Option {
	return func(o *options) error {
		if base == nil {
			return errors.New("repro: Base(nil)")
		}
		o.base = base
		return nil
	}
}

// Times selects how entry mtimes are normalized. The default is SetTimes.
func Times(m TimeMode) Option {
	return func(o *options) error {
		if m != SetTimes && m != ClampTimes {
			return fmt.Errorf("repro: unknown TimeMode %d", m)
		}
		o.mode = m
		return nil
	}
}

// DefaultCompressionLevel is the gzip level of every layer this package
// writes, and of the project's base images (provision/bases), so their
// blobs survive recompression unchanged.
const DefaultCompressionLevel = gzip.DefaultCompression

// CompressionLevel sets the gzip level (klauspost/compress/gzip) of rewritten layers. The
// default is gzip.DefaultCompression (6). Changing it changes digests.
func CompressionLevel(level int) Option {
	return func(o *options) error {
		if level < gzip.HuffmanOnly || level > gzip.BestCompression {
			return fmt.Errorf("repro: CompressionLevel(%d): out of range", level)
		}
		o.level = level
		return nil
	}
}

// Owner forces every rewritten entry to uid:gid. By default the numeric
// owner the build set is kept (e.g. 1000 for app files) and only the
// user/group names are dropped.
func Owner(uid, gid int) Option {
	return func(o *options) error {
		if uid < 0 || gid < 0 {
			return fmt.Errorf("repro: Owner(%d, %d): must be >= 0", uid, gid)
		}
		o.uid, o.gid = &uid, &gid
		return nil
	}
}

// Remove drops entries from rewritten layers. A pattern containing "/" is
// matched (path.Match) against the entry path without its leading "/" or
// "./" and removes the entry and everything below it ("/root/.npm",
// "/home/*/.npm"); a pattern without "/" is matched against the base name
// anywhere ("*.log"). Only rewritten layers are affected: a file that a
// skipped base layer ships stays. See DefaultNoise.
func Remove(patterns ...string) Option {
	return func(o *options) error {
		for _, p := range patterns {
			if _, err := matchPath(p, "x"); err != nil {
				return fmt.Errorf("repro: Remove(%q): %w", p, err)
			}
		}
		o.remove = append(o.remove, patterns...)
		return nil
	}
}

// Dropped appends to *dst the path of every entry Remove dropped from a
// rewritten layer, so a caller can tell whether the normalized image holds
// exactly the files of the image it was given (timestamps aside: an empty
// list means nothing was removed). The order is not defined.
func Dropped(dst *[]string) Option {
	return func(o *options) error {
		if dst == nil {
			return errors.New("repro: Dropped(nil)")
		}
		o.dropped = dst
		return nil
	}
}
