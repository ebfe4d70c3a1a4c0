package pipeline_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
)

// TestReleaseEndToEnd releases the fixture to the real local registry:
// 1.0.0, 1.1.0 (changed source), 1.0.1 in that order give exactly the
// expected tags; re-releasing 1.0.0 is a no-op; a changed source as 1.0.0 is
// refused with the registry unchanged; a failing gate publishes nothing;
// rollback moves the floating tags back and shows in Releases.
func TestReleaseEndToEnd(t *testing.T) {
	c := testenv.Client(t)
	repo := fmt.Sprintf("%s/e2e-release-%d", testenv.Registry(t), time.Now().UnixNano())
	fixture := testenv.Path("fixtures", "app")
	changed := variant(t, func(dir string) {
		replaceIn(t, filepath.Join(dir, "app.js"), "Hello from an immutable image", "Hello from 1.1")
	})
	release := func(dir, version string) (*pipeline.ReleaseReport, error) {
		return pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{
			Build: options(c, dir, version), Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir(),
		})
	}
	digests := map[string]string{}
	for _, step := range []struct{ dir, version string }{{fixture, "1.0.0"}, {changed, "1.1.0"}, {fixture, "1.0.1"}} {
		r, err := release(step.dir, step.version)
		if err != nil {
			t.Fatalf("release %s: %v", step.version, err)
		}
		digests[step.version] = r.Digest
	}
	want := map[string]string{
		"v1.0.0": digests["1.0.0"], "v1.1.0": digests["1.1.0"], "v1.0.1": digests["1.0.1"],
		"v1.0": digests["1.0.1"], "v1.1": digests["1.1.0"], "v1": digests["1.1.0"], "latest": digests["1.1.0"],
	}
	got := testenv.Tags(t, repo)
	for tag := range got {
		// Record tags and attachment tags (sha256-<hex>.sbom, the
		// referrers fallback index sha256-<hex>) are not release tags.
		if strings.HasSuffix(tag, "_release") || strings.HasPrefix(tag, "rollback_") || strings.HasPrefix(tag, "sha256-") {
			delete(got, tag)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tags after 1.0.0, 1.1.0, 1.0.1:\n got %v\nwant %v", got, want)
	}

	t.Run("re-release unchanged is a no-op", func(t *testing.T) {
		before := testenv.Tags(t, repo)
		r, err := release(fixture, "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		if !r.Result.AlreadyReleased || r.Result.BytesUploaded != 0 {
			t.Errorf("AlreadyReleased, BytesUploaded = %v, %d; want true, 0", r.Result.AlreadyReleased, r.Result.BytesUploaded)
		}
		if after := testenv.Tags(t, repo); !reflect.DeepEqual(before, after) {
			t.Errorf("registry changed:\n%v\n%v", before, after)
		}
	})

	t.Run("changed source as an existing version is refused", func(t *testing.T) {
		before := testenv.Tags(t, repo)
		_, err := release(changed, "1.0.0")
		if err == nil || !strings.Contains(err.Error(), digests["1.0.0"]) {
			t.Fatalf("release changed source as 1.0.0: err = %v, want a refusal naming %s", err, digests["1.0.0"])
		}
		if after := testenv.Tags(t, repo); !reflect.DeepEqual(before, after) {
			t.Errorf("registry changed:\n%v\n%v", before, after)
		}
	})

	t.Run("failing gate publishes nothing", func(t *testing.T) {
		before := testenv.Tags(t, repo)
		broken := variant(t, func(dir string) {
			replaceIn(t, filepath.Join(dir, "test", "app.test.js"), "assert.equal(res.status, 404);", "assert.equal(res.status, 500);")
		})
		_, err := release(broken, "1.2.0")
		if err == nil || !strings.Contains(err.Error(), "gate unit failed") || !strings.Contains(err.Error(), "nothing was published") {
			t.Fatalf("release with a failing test: err = %v, want gate unit failed", err)
		}
		if after := testenv.Tags(t, repo); !reflect.DeepEqual(before, after) {
			t.Errorf("registry changed:\n%v\n%v", before, after)
		}
	})

	t.Run("rollback", func(t *testing.T) {
		if _, err := pipeline.Rollback(ctx(t), pipeline.Registry{Repo: repo}, "1.3.0"); err == nil {
			t.Error("rollback to a version never released succeeded")
		}
		res, err := pipeline.Rollback(ctx(t), pipeline.Registry{Repo: repo}, "1.0.1")
		if err != nil {
			t.Fatal(err)
		}
		got := testenv.Tags(t, repo)
		for _, tag := range []string{"v1", "latest"} {
			if got[tag] != digests["1.0.1"] {
				t.Errorf("after rollback %s = %s, want 1.0.1's %s", tag, got[tag], digests["1.0.1"])
			}
		}
		if got["v1.1"] != digests["1.1.0"] {
			t.Errorf("rollback moved v1.1 (another line): %s", got["v1.1"])
		}
		h, err := pipeline.Releases(ctx(t), pipeline.Registry{Repo: repo})
		if err != nil {
			t.Fatal(err)
		}
		if h.Tag("latest") != digests["1.0.1"] || len(h.Rollbacks) != 1 || len(h.Releases) != 3 {
			t.Errorf("Releases after rollback: latest=%s rollbacks=%d releases=%d (moved %v)", h.Tag("latest"), len(h.Rollbacks), len(h.Releases), res.Moved)
		}
	})
}
