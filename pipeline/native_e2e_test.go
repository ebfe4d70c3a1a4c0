package pipeline_test

import (
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
)

// TestNativeAddonRelease releases fixtures/native-addon: its own N-API addon
// (built by its build script with node-gyp) and bufferutil (compiled from
// source by npm ci) load in the runtime image (the app requires both at
// start; the smoke test runs it), the reproducibility gate's second,
// cache-busted build gives the same digest, and no node-gyp intermediate
// or Python bytecode reaches the image.
func TestNativeAddonRelease(t *testing.T) {
	t.Parallel()
	c := testenv.Client(t)
	repo := fmt.Sprintf("%s/e2e-native-%d", testenv.Registry(t), time.Now().UnixNano())
	r, err := pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{
		Build: options(c, testenv.Path("fixtures", "native-addon"), "1.0.0"), Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir(),
	})
	if r != nil && r.Verify != nil && !r.Verify.Equal {
		t.Log("\n" + r.Verify.Diff.String())
	}
	if err != nil {
		if r != nil && r.Tests != nil {
			t.Log("\n" + r.Tests.String())
		}
		t.Fatalf("release native-addon 1.0.0: %v", err)
	}
	if r.Verify == nil || !r.Verify.Equal || r.Verify.First != r.Verify.Second || r.Verify.First != r.Digest {
		t.Fatalf("verify = %+v, want both builds at %s", r.Verify, r.Digest)
	}
	passed := map[string]bool{}
	for _, g := range r.Gates {
		passed[g.Name] = g.Passed && !strings.HasPrefix(g.Detail, "skipped")
	}
	for _, g := range []string{"unit", "smoke", "checks", "reproducible"} {
		if !passed[g] {
			t.Errorf("gate %s did not pass: %+v", g, r.Gates)
		}
	}

	files := imageFiles(t, publishedImage(t, r.Result.Ref))
	for _, want := range []string{"app/build/Release/greet.node", "app/node_modules/bufferutil/build/Release/bufferutil.node", "app/index.js", "app/addon.js"} {
		if files[want] == nil {
			t.Errorf("image has no /%s", want)
		}
	}
	for p := range files {
		base := path.Base(p)
		switch {
		case !strings.HasPrefix(p, "app/"):
		case strings.HasSuffix(base, ".pyc"), base == "__pycache__",
			base == "config.gypi", base == "Makefile" && strings.Contains(p, "/build/"), strings.HasSuffix(base, ".mk"),
			strings.HasSuffix(base, ".o"), strings.HasSuffix(base, ".d"), strings.Contains(p, "/obj.target"), strings.Contains(p, "/.deps"),
			strings.HasPrefix(p, "app/src/"), p == "app/binding.gyp":
			t.Errorf("image has /%s: build residue or addon sources must stay out", p)
		}
	}
}
