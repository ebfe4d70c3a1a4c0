package publish

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
)

// e2eRepo returns a fresh repository in the real local registry
// (IMMUTABLE_REGISTRY, set by `go run ./ci test`). Without it the test is
// skipped, or fails when IMMUTABLE_E2E=1.
func e2eRepo(t *testing.T) string {
	t.Helper()
	reg := os.Getenv("IMMUTABLE_REGISTRY")
	if reg == "" {
		if os.Getenv("IMMUTABLE_E2E") == "1" {
			t.Fatal("IMMUTABLE_E2E=1 but IMMUTABLE_REGISTRY is not set; run `go run ./ci test`")
		}
		t.Skip("needs the local registry; run `go run ./ci test`")
	}
	resp, err := http.Get("http://" + reg + "/v2/")
	if err != nil {
		t.Fatalf("registry %s does not answer: %v; run `go run ./ci up`", reg, err)
	}
	resp.Body.Close()
	// Version tags are immutable and the registry persists: use a new repo.
	return fmt.Sprintf("%s/immutable-test/publish-%d", reg, time.Now().UnixNano())
}

// TestE2E runs the scenario against the real registry: 1.0.0,
// 1.1.0, 1.0.1; re-release no-op; changed image refused; rollback; history.
func TestE2E(t *testing.T) {
	repo := e2eRepo(t)
	ctx := context.Background()
	o := testOptions()
	d := map[string]string{}
	for i, v := range []string{"1.0.0", "1.1.0", "1.0.1"} {
		img := testImage(t, int64(i+1))
		d[v] = digestOf(t, img)
		res := mustPublish(t, repo, img, v, o)
		if res.BytesUploaded == 0 {
			t.Errorf("%s uploaded 0 bytes", v)
		}
	}
	want := map[string]string{
		"v1.0.0": d["1.0.0"], "v1.1.0": d["1.1.0"], "v1.0.1": d["1.0.1"],
		"v1.0": d["1.0.1"], "v1.1": d["1.1.0"], "v1": d["1.1.0"], "latest": d["1.1.0"],
	}
	before := testenv.Tags(t, repo)
	if got := withoutRecords(before); !equalMaps(got, want) {
		t.Fatalf("tags = %v, want %v", got, want)
	}

	res := mustPublish(t, repo, testImage(t, 1), "1.0.0", o)
	if !res.AlreadyReleased || res.BytesUploaded != 0 {
		t.Errorf("re-release of 1.0.0: AlreadyReleased = %v, %d bytes uploaded; want true, 0", res.AlreadyReleased, res.BytesUploaded)
	}
	if _, err := Publish(ctx, target(t, repo), testImage(t, 9), ver(t, "1.0.0"), Record{}, o); err == nil || !strings.Contains(err.Error(), d["1.0.0"]) {
		t.Errorf("changed 1.0.0: Publish = %v, want refusal naming %s", err, d["1.0.0"])
	}
	if after := testenv.Tags(t, repo); !equalMaps(before, after) {
		t.Errorf("tags changed by no-op/refused publishes: %v -> %v", before, after)
	}

	rb, err := Rollback(ctx, target(t, repo), ver(t, "1.0.0"), o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rb.Moved, []string{"v1.0", "v1", "latest"}) {
		t.Errorf("rollback moved %v", rb.Moved)
	}
	h, err := Releases(ctx, target(t, repo), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Releases) != 3 || h.Releases[0].Version != "1.1.0" || h.Tag("latest") != d["1.0.0"] || len(h.Rollbacks) != 1 {
		var b strings.Builder
		h.Format(&b)
		t.Errorf("history after rollback:\n%s", b.String())
	}
}
