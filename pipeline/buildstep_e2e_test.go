package pipeline_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger/immutable/checks"
	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
)

// TestBuildStepRelease releases fixtures/typescript, whose build script
// compiles src/*.ts to dist/ with the typescript dev dependency: the image
// runs node dist/index.js and has dist/, but no TypeScript sources, no
// tsconfig.json and no dev dependencies; the unit test ran on the build
// output. Then the same app with a private key in its own files is blocked
// with a message naming the file, and released once .immutable-accept.yaml
// accepts it with a reason, which the release record keeps.
func TestBuildStepRelease(t *testing.T) {
	t.Parallel()
	c := testenv.Client(t)
	repo := fmt.Sprintf("%s/e2e-buildstep-%d", testenv.Registry(t), time.Now().UnixNano())
	release := func(dir, version string) (*pipeline.ReleaseReport, error) {
		return pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{
			Build: options(c, dir, version), Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir(),
		})
	}

	r, err := release(testenv.Path("fixtures", "typescript"), "1.0.0")
	if err != nil {
		if r != nil && r.Tests != nil {
			t.Log("\n" + r.Tests.String())
		}
		t.Fatalf("release typescript 1.0.0: %v", err)
	}
	for _, g := range r.Gates {
		if !g.Passed || strings.HasPrefix(g.Detail, "skipped") && g.Name == "unit" {
			t.Errorf("gate %s: passed=%v %q, want passed (unit not skipped)", g.Name, g.Passed, g.Detail)
		}
	}
	img := publishedImage(t, r.Result.Ref)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cf.Config.Entrypoint, " "); got != "node dist/index.js" {
		t.Errorf("entrypoint = %q, want node dist/index.js", got)
	}
	files := imageFiles(t, img)
	for _, want := range []string{"app/dist/index.js", "app/dist/app.js", "app/package.json", "app/node_modules/ms/index.js"} {
		if files[want] == nil {
			t.Errorf("image has no /%s", want)
		}
	}
	for p := range files {
		switch {
		case strings.HasPrefix(p, "app/") && strings.HasSuffix(p, ".ts"),
			strings.HasPrefix(p, "app/src/"), p == "app/tsconfig.json",
			strings.HasPrefix(p, "app/node_modules/typescript/"), strings.HasPrefix(p, "app/node_modules/@types/"),
			p == "app/dist/app.test.js":
			t.Errorf("image has /%s: TypeScript sources, tests and dev dependencies must stay out", p)
		}
	}

	// withKey is a copy of the fixture with a private key in certs/ and,
	// when accept is not "", that accept file. Each variant is a new
	// directory: the engine session keeps what it read from a host path.
	withKey := func(t *testing.T, accept string) string {
		dir := testenv.CopyFixture(t, "typescript")
		key := "-----BEGIN " + "PRIVATE KEY-----\nMIIBdemo\n-----END PRIVATE KEY-----\n"
		if err := os.MkdirAll(filepath.Join(dir, "certs"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "certs", "dev.key"), []byte(key), 0o644); err != nil {
			t.Fatal(err)
		}
		if accept != "" {
			if err := os.WriteFile(filepath.Join(dir, checks.AcceptFile), []byte(accept), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}

	t.Run("key in the app's own files blocks, accepted with a reason releases", func(t *testing.T) {
		before := testenv.Tags(t, repo)
		_, err := release(withKey(t, ""), "1.1.0")
		want := "/app/certs/dev.key: private key, in the app's own files"
		if !errors.Is(err, pipeline.ErrGateFailed) || !strings.Contains(err.Error(), "gate checks failed") || !strings.Contains(err.Error(), want) {
			t.Fatalf("release with a key in certs/: err = %v, want gate checks failed naming %q", err, want)
		}
		if after := testenv.Tags(t, repo); len(after) != len(before) {
			t.Errorf("a blocked release changed the registry: %v -> %v", before, after)
		}

		reason := "self-signed key of the local demo, not used in production"
		r, err := release(withKey(t, "accept:\n  - rule: no-secrets\n    path: certs/dev.key\n    reason: "+reason+"\n"), "1.1.0")
		if err != nil {
			t.Fatalf("release with the key accepted: %v", err)
		}
		rec := publishedRecord(t, repo, r.Result.VersionTag)
		if len(rec.Findings) != 1 || rec.Findings[0].Status != checks.StatusAccepted || rec.Findings[0].Path != "/app/certs/dev.key" || rec.Findings[0].Reason != reason {
			t.Errorf("record findings = %+v, want /app/certs/dev.key accepted with the reason", rec.Findings)
		}
		var out strings.Builder
		r.Format(&out)
		if !strings.Contains(out.String(), "accepted no-secrets /app/certs/dev.key: private key (reason: "+reason+")") {
			t.Errorf("release report does not show the accepted finding:\n%s", out.String())
		}
		if f := imageFiles(t, publishedImage(t, r.Result.Ref)); f["app/"+checks.AcceptFile] != nil {
			t.Errorf("%s reached the image", checks.AcceptFile)
		}
	})

	t.Run("accept entry without a reason is refused", func(t *testing.T) {
		dir := testenv.CopyFixture(t, "typescript")
		if err := os.WriteFile(filepath.Join(dir, checks.AcceptFile), []byte("accept:\n  - {rule: no-secrets, path: certs/dev.key}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := release(dir, "1.2.0")
		if err == nil || !strings.Contains(err.Error(), "reason is required") {
			t.Fatalf("release: err = %v, want the accept file refused: reason is required", err)
		}
	})
}
