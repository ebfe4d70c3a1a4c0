package publish

import (
	"context"
	"math/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/memregistry"

	"github.com/Masterminds/semver/v3"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// newRegistry starts an in-memory registry, optionally behind middleware,
// and returns a repository name in it.
func newRegistry(t *testing.T, middleware func(http.Handler) http.Handler) string {
	t.Helper()
	return memregistry.StartWith(t, middleware) + "/my-app"
}

// testImage returns a seeded random image: same seed, same digest.
func testImage(t *testing.T, seed int64) v1.Image {
	t.Helper()
	img, err := random.Image(1024, 3, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digestOf(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// testOptions uses a fixed clock.
func testOptions() Options {
	return Options{Now: func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }}
}

// withoutRecords drops record tags from a tag map.
func withoutRecords(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.Contains(k, "_") {
			out[k] = v
		}
	}
	return out
}

// formatted is r's text form.
func formatted(r *Result) string {
	var b strings.Builder
	r.Format(&b)
	return b.String()
}

// target is repo's Target with access a (anonymous when none is given).
func target(t testing.TB, repo string, a ...Access) *Target {
	t.Helper()
	var access Access
	if len(a) > 0 {
		access = a[0]
	}
	tg, err := NewTarget(context.Background(), repo, access)
	if err != nil {
		t.Fatalf("NewTarget(%s) = %v", repo, err)
	}
	return tg
}

// ver parses a test's version.
func ver(t testing.TB, s string) *semver.Version {
	t.Helper()
	v, err := ParseVersion(s)
	if err != nil {
		t.Fatalf("ParseVersion(%s) = %v", s, err)
	}
	return v
}

// mustPublish publishes img as version to repo (access a, when given).
func mustPublish(t *testing.T, repo string, img Artifact, version string, o Options, a ...Access) *Result {
	t.Helper()
	res, err := Publish(context.Background(), target(t, repo, a...), img, ver(t, version), Record{SourceRevision: "rev-" + version}, o)
	if err != nil {
		t.Fatalf("Publish(%s) = %v", version, err)
	}
	return res
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
