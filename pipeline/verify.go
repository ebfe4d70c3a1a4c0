package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"dagger.io/dagger"
	"golang.org/x/sync/errgroup"

	"dagger/immutable/repro"
)

// VerifyReport is the outcome of the reproducibility check.
type VerifyReport struct {
	// First and Second are the two builds' image digests.
	First  string `json:"first"`
	Second string `json:"second"`
	// Equal is true when they are the same.
	Equal bool `json:"equal"`
	// Diff says what differs when they are not.
	Diff *repro.Report `json:"diff,omitempty"`
	// Wall is the check's wall time.
	Wall time.Duration `json:"wallNs"`
}

// Err is nil when both builds gave the same digest.
func (r *VerifyReport) Err() error {
	if r.Equal {
		return nil
	}
	err := fmt.Errorf("verify: builds are not reproducible: %s != %s", r.First, r.Second)
	if r.Diff == nil {
		return err
	}
	// The first lines of the diff name what differs, so the gate's error
	// says it wherever it is shown.
	lines := strings.Split(strings.TrimSpace(r.Diff.String()), "\n")
	if len(lines) > 12 {
		lines = append(lines[:12], fmt.Sprintf("… %d more lines (ci verify --json for all)", len(lines)-12))
	}
	return fmt.Errorf("%w\n%s", err, strings.Join(lines, "\n"))
}

// Format writes PASS or FAIL with both digests and, on FAIL, the diff.
func (r *VerifyReport) Format(w io.Writer) {
	if r.Equal {
		fmt.Fprintf(w, "PASS reproducible: both builds are %s (%s)\n", r.First, r.Wall.Round(time.Millisecond))
		return
	}
	fmt.Fprintf(w, "FAIL not reproducible:\n  first:  %s\n  second: %s\n", r.First, r.Second)
	if r.Diff != nil {
		fmt.Fprintln(w, r.Diff.String())
	}
}

// Verify builds the source a second time, independently of first (every
// build step re-run, only the pinned bases reused), and compares the two
// image digests. With first nil, both builds run concurrently here.
func Verify(ctx context.Context, c *dagger.Client, o BuildOptions, workDir string, first *Image) (*VerifyReport, error) {
	if first != nil {
		return verify(ctx, c, o, workDir, ready(first))
	}
	return verify(ctx, c, o, workDir, func(ctx context.Context) (*Image, error) {
		_, img, err := BuildImage(ctx, c, o, workDir)
		return img, err
	})
}

// verify is Verify with the first image coming from first, which may still
// be making it. The second build starts at once.
func verify(ctx context.Context, c *dagger.Client, o BuildOptions, workDir string, first imageFunc) (*VerifyReport, error) {
	start := time.Now()
	var a, b *Image
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		a, err = first(gctx)
		return err
	})
	g.Go(func() error {
		bust := o
		bust.CacheBust = nonce()
		var err error
		_, b, err = BuildImage(gctx, c, bust, workDir)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	r := &VerifyReport{First: a.Digest, Second: b.Digest, Equal: a.Digest == b.Digest}
	if !r.Equal {
		// The first platform whose images differ (the index differs only
		// through them).
		x, y := a.PlatformImages(), b.PlatformImages()
		da, db := x[0], y[0]
		for i := range min(len(x), len(y)) {
			if x[i].Digest != y[i].Digest {
				da, db = x[i], y[i]
				break
			}
		}
		diff, err := repro.Diff(da.Image, db.Image)
		if err != nil {
			return nil, fmt.Errorf("verify: diffing images: %w", err)
		}
		r.Diff = diff
	}
	r.Wall = time.Since(start)
	return r, nil
}

func nonce() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return fmt.Sprint(time.Now().UnixNano(), os.Getpid())
	}
	return hex.EncodeToString(b)
}
