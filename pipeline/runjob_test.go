package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRunJobWaitsForImage: a job that needs the image runs only once the
// image is made, gets it, and reports the wait apart from its own time; a
// job that does not need it runs at once.
func TestRunJobWaitsForImage(t *testing.T) {
	want := &Image{Digest: "sha256:abc"}
	made := make(chan struct{})
	image := func(ctx context.Context) (*Image, error) {
		select {
		case <-made:
			return want, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	const delay = 200 * time.Millisecond
	time.AfterFunc(delay, func() { close(made) })

	var got *Image
	needs := job{"checks", true, func(ctx context.Context, image imageFunc) (string, error) {
		got, _ = image(ctx)
		return "", nil
	}}
	res := runJob(context.Background(), needs, image)
	if got != want || res.Status != Passed {
		t.Fatalf("job got %v, status %s; want the image, passed", got, res.Status)
	}
	if res.Waited < delay || res.Duration >= delay {
		t.Errorf("waited %s, ran %s; want a wait of at least %s, counted apart", res.Waited, res.Duration, delay)
	}

	blocked := func(ctx context.Context) (*Image, error) { <-ctx.Done(); return nil, ctx.Err() }
	ran := false
	free := job{"unit", false, func(context.Context, imageFunc) (string, error) { ran = true; return "", nil }}
	if res := runJob(context.Background(), free, blocked); !ran || res.Waited != 0 || res.Status != Passed {
		t.Errorf("job without the image: ran %v, waited %s, %s", ran, res.Waited, res.Status)
	}
}

// TestRunJobNoImage: when the image cannot be made, the jobs that need it
// fail with that reason and do not run.
func TestRunJobNoImage(t *testing.T) {
	image := func(context.Context) (*Image, error) { return nil, errors.New("npm ci failed") }
	ran := false
	j := job{"checks", true, func(context.Context, imageFunc) (string, error) { ran = true; return "", nil }}
	res := runJob(context.Background(), j, image)
	if ran || res.Status != Failed || !strings.Contains(res.Detail, "no image to test: npm ci failed") {
		t.Errorf("ran %v, %s %q; want failed with the image's error, not run", ran, res.Status, res.Detail)
	}
}

// TestSlowestCountsWait: the least stage wall time includes a job's wait.
func TestSlowestCountsWait(t *testing.T) {
	r := &TestReport{Jobs: []JobResult{
		{Name: "unit", Duration: 3 * time.Second},
		{Name: "smoke", Waited: 2 * time.Second, Duration: 2 * time.Second},
	}}
	if got := r.Slowest(); got != 4*time.Second {
		t.Errorf("Slowest() = %s, want 4s", got)
	}
	if s := r.String(); !strings.Contains(s, "2s (after 2s for the image)") {
		t.Errorf("report does not show the wait:\n%s", s)
	}
}
