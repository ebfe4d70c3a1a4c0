package soak

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
	"dagger/immutable/publish"
)

// TestConcurrentReleases runs three whole releases at once through the
// engine: the fixture as 1.0.0 twice and a changed fixture as 1.1.0. One of
// the 1.0.0 releases publishes and the other is a no-op (the build is
// reproducible, so both have one digest); 1.1.0 publishes; latest ends at
// 1.1.0 whatever the order.
func TestConcurrentReleases(t *testing.T) {
	c := testenv.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	repo := fmt.Sprintf("%s/concurrent/app-%d", testenv.Registry(t), time.Now().UnixNano())
	same := fixtureCopy(t, "Hello from an immutable image")
	changed := fixtureCopy(t, fmt.Sprintf("Hello from %s", repo))
	runs := []struct{ dir, version string }{{same, "1.0.0"}, {same, "1.0.0"}, {changed, "1.1.0"}}
	reports := make([]*pipeline.ReleaseReport, len(runs))
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = pipeline.Release(ctx, c, pipeline.ReleaseOptions{
				Build: pipeline.BuildOptions{
					Source:  c.Host().Directory(r.dir),
					Version: r.version, Revision: "concurrent", Epoch: time.Unix(1704067200, 0).UTC(),
					Smoke: pipeline.SmokeOptions{VersionPath: "/version"},
				},
				Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir(),
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("release %d (%s): %v", i, runs[i].version, err)
		}
	}
	a, b := reports[0].Result, reports[1].Result
	if a.Digest != b.Digest {
		t.Fatalf("the two 1.0.0 builds differ: %s vs %s", a.Digest, b.Digest)
	}
	if a.AlreadyReleased == b.AlreadyReleased {
		t.Errorf("1.0.0: AlreadyReleased = %v and %v; want exactly one release and one no-op", a.AlreadyReleased, b.AlreadyReleased)
	}
	h, err := pipeline.Releases(ctx, pipeline.Registry{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	newer := reports[2].Result.Digest
	if len(h.Releases) != 2 || h.Tag(publish.LatestTag) != newer || h.Tag("v1") != newer || h.Tag("v1.0") != a.Digest {
		t.Errorf("after concurrent releases: %d releases, latest %s, v1 %s, v1.0 %s; want 2, %s, %s, %s",
			len(h.Releases), h.Tag(publish.LatestTag), h.Tag("v1"), h.Tag("v1.0"), newer, newer, a.Digest)
	}
	if !t.Failed() {
		testenv.Summary(t, "concurrency", "3 whole releases at once through the engine: 1.0.0 released once + 1 no-op, 1.1.0 released, latest at 1.1.0")
	}
}
