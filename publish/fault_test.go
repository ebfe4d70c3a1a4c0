package publish

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/testenv"
)

// fault is HTTP middleware that answers 500 to matching requests, from the
// nth match on, at most times times (times < 0: until disarmed).
type fault struct {
	mu      sync.Mutex
	match   func(*http.Request) bool
	nth     int
	times   int
	seen    int
	failed  int
	enabled bool
}

func (f *fault) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		fail := false
		if f.enabled && f.match(r) {
			f.seen++
			if f.seen >= f.nth && (f.times < 0 || f.failed < f.times) {
				f.failed++
				fail = true
			}
		}
		f.mu.Unlock()
		if fail {
			http.Error(w, `{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}`, http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (f *fault) arm(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enabled, f.seen, f.failed = on, 0, 0
}

func is(method, pathPart string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == method && strings.Contains(r.URL.Path, pathPart)
	}
}

// putManifest matches the PUT of the manifest tagged tag.
func putManifest(tag string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/manifests/"+tag)
	}
}

// fastRetry keeps go-containerregistry's retries but makes them quick.
func fastRetry() Access {
	return Access{remote: []remote.Option{remote.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3})}}
}

// TestFaults publishes 1.0.0, then 1.1.0 with one registry request kind
// failing persistently: the publish must fail leaving every tag on a
// complete, verified image (and floating tags only at an old release or the
// new complete one), and a retry without the fault must finish the release.
func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		match func(*http.Request) bool
		nth   int
		// state after the failure
		wantVersionTag bool
		wantMoved      []string // floating tags already at 1.1.0
		wantResumed    bool
	}{
		{"blob upload body", is(http.MethodPatch, "/blobs/uploads/"), 2, false, nil, false},
		{"blob commit", is(http.MethodPut, "/blobs/uploads/"), 3, false, nil, false},
		{"image manifest by digest", is(http.MethodPut, "/manifests/sha256:"), 1, false, nil, false},
		{"record blob", is(http.MethodPut, "/blobs/uploads/"), 5, false, nil, false}, // 4 image blobs, then the record ("{}" exists since 1.0.0)
		{"record manifest by digest", is(http.MethodPut, "/manifests/sha256:"), 2, false, nil, false},
		{"version tag", putManifest("v1.1.0"), 1, false, nil, false},
		{"second floating tag", putManifest("v1"), 1, true, []string{"v1.1"}, true},
		{"latest", putManifest("latest"), 1, true, []string{"v1.1", "v1"}, true},
		{"record tag", putManifest("v1.1.0_release"), 1, true, []string{"v1.1", "v1", "latest"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fault{match: tc.match, nth: tc.nth, times: -1}
			repo := newRegistry(t, f.wrap)
			o, a := testOptions(), fastRetry()
			old, img := testImage(t, 1), testImage(t, 2)
			mustPublish(t, repo, old, "1.0.0", o, a)
			before := testenv.Tags(t, repo)

			f.arm(true)
			_, err := Publish(context.Background(), target(t, repo, a), img, ver(t, "1.1.0"), Record{}, o)
			f.arm(false)
			if err == nil {
				t.Fatal("Publish succeeded despite the fault")
			}
			t.Logf("error: %v", err)

			after := testenv.Tags(t, repo)
			checkComplete(t, repo, after)
			newDigest := digestOf(t, img)
			var moved []string
			for tag, d := range after {
				if d != before[tag] && tag != "v1.1.0" {
					if d != newDigest {
						t.Errorf("%s moved to %s, which is not the new release", tag, d)
					}
					moved = append(moved, tag)
				}
			}
			if _, ok := after["v1.1.0"]; ok != tc.wantVersionTag {
				t.Errorf("version tag present = %v, want %v", ok, tc.wantVersionTag)
			}
			for _, ft := range tc.wantMoved {
				if after[ft] != newDigest {
					t.Errorf("%s = %s, want it moved to %s before the fault", ft, after[ft], newDigest)
				}
			}
			if len(moved) != len(tc.wantMoved) {
				t.Errorf("tags moved before the fault = %v, want %v", moved, tc.wantMoved)
			}

			res, err := Publish(context.Background(), target(t, repo, a), img, ver(t, "1.1.0"), Record{}, o)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if res.Resumed != tc.wantResumed || res.AlreadyReleased {
				t.Errorf("retry Resumed = %v, AlreadyReleased = %v; want %v, false", res.Resumed, res.AlreadyReleased, tc.wantResumed)
			}
			d0 := digestOf(t, old)
			want := map[string]string{
				"v1.0.0": d0, "v1.0": d0,
				"v1.1.0": newDigest, "v1.1": newDigest, "v1": newDigest, "latest": newDigest,
			}
			final := testenv.Tags(t, repo)
			if got := withoutRecords(final); !equalMaps(got, want) {
				t.Errorf("tags after retry = %v, want %v", got, want)
			}
			if _, ok := final["v1.1.0_release"]; !ok {
				t.Error("no release record after retry")
			}
			checkComplete(t, repo, final)
		})
	}
}

// TestTransientFault: one failed manifest PUT is retried by
// go-containerregistry and the publish succeeds.
func TestTransientFault(t *testing.T) {
	f := &fault{match: is(http.MethodPut, "/manifests/"), nth: 1, times: 1}
	repo := newRegistry(t, f.wrap)
	f.arm(true)
	res := mustPublish(t, repo, testImage(t, 1), "1.0.0", testOptions(), fastRetry())
	if f.failed != 1 || len(res.Moved) != 3 {
		t.Errorf("failed %d requests, moved %v; want 1 and three floating tags", f.failed, res.Moved)
	}
}

// checkComplete downloads the image behind every non-record tag (manifest,
// config, every layer's bytes, each digest-verified by go-containerregistry)
// and reads every record.
func checkComplete(t *testing.T, repo string, tags map[string]string) {
	t.Helper()
	c, err := newClient(context.Background(), target(t, repo), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for tag := range tags {
		if strings.Contains(tag, "_") {
			if _, err := c.readRecord(tag); err != nil {
				t.Errorf("record %s: %v", tag, err)
			}
			continue
		}
		ref, err := name.NewTag(repo + ":" + tag)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(ref)
		if err != nil {
			t.Errorf("%s: %v", tag, err)
			continue
		}
		if err := testenv.FetchAll(img); err != nil {
			t.Errorf("%s points at an incomplete image: %v", tag, err)
		}
	}
}
