package pipeline_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
)

// TestBuildBadInputs: every bad input is refused before anything is built,
// with an error that says what to do.
func TestBuildBadInputs(t *testing.T) {
	c := testenv.Client(t)
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, dir string, o *pipeline.BuildOptions)
		want string
	}{
		{"unpinned runtime base", func(t *testing.T, dir string, o *pipeline.BuildOptions) {
			o.RuntimeBase = "node:24-bookworm-slim"
		}, `not pinned by digest: runtime base "node:24-bookworm-slim": use node:24-bookworm-slim@sha256:<digest>`},
		{"missing package.json", func(t *testing.T, dir string, o *pipeline.BuildOptions) {
			os.Remove(filepath.Join(dir, "package.json"))
		}, "package.json not found"},
		{"invalid package.json", func(t *testing.T, dir string, o *pipeline.BuildOptions) {
			os.WriteFile(filepath.Join(dir, "package.json"), []byte("{nope"), 0o644)
		}, "package.json is not valid JSON"},
		{"missing lockfile", func(t *testing.T, dir string, o *pipeline.BuildOptions) {
			os.Remove(filepath.Join(dir, "package-lock.json"))
		}, "package-lock.json not found"},
		{"lockfile out of sync", func(t *testing.T, dir string, o *pipeline.BuildOptions) {
			replaceIn(t, filepath.Join(dir, "package.json"), `"ms": "2.1.3"`, `"ms": "2.1.3", "left-pad": "1.3.0"`)
		}, "dependencies.left-pad (1.3.0) is missing from the lockfile"},
		{"two lockfiles", func(t *testing.T, dir string, o *pipeline.BuildOptions) {
			os.WriteFile(filepath.Join(dir, "yarn.lock"), []byte("# yarn lockfile v1\n"), 0o644)
		}, "several lockfiles (package-lock.json, yarn.lock): keep the one of the package manager you use"},
		{"engines mismatch", func(t *testing.T, dir string, o *pipeline.BuildOptions) {
			replaceIn(t, filepath.Join(dir, "package.json"), `"node": ">=20"`, `"node": "^18"`)
		}, `engines.node is "^18" but the base image has node`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := variant(t, nil)
			o := options(c, dir, "1.0.0")
			tc.edit(t, dir, &o)
			o.Source = c.Host().Directory(dir)
			_, err := pipeline.BuildApp(ctx(t), c, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("BuildApp() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestBuildAndTestFixture builds the fixture and runs the whole test stage:
// unit, lint, the smoke test against the image as a service, image checks.
// Unit tests and lint run while the image is being exported: they begin
// well before the image was ready (when the smoke test began).
func TestBuildAndTestFixture(t *testing.T) {
	c := testenv.Client(t)
	_, img, report, err := pipeline.BuildAndTest(ctx(t), c, options(c, testenv.Path("fixtures", "app"), "1.2.3"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + report.String())
	if err := report.Err(); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]pipeline.JobResult{}
	for _, j := range report.Jobs {
		if j.Status != pipeline.Passed {
			t.Errorf("job %s: %s, want passed", j.Name, j.Status)
		}
		jobs[j.Name] = j
	}
	// The image was ready when the checks began; exporting and normalizing
	// it takes seconds, so a stage that waited for the image before
	// starting unit tests, lint and the smoke test (which starts the app in
	// the container Dagger built) cannot begin them 100ms earlier.
	ready := jobs["checks"].Began
	for _, name := range []string{"unit", "lint", "smoke"} {
		if lead := ready.Sub(jobs[name].Began); lead < 100*time.Millisecond {
			t.Errorf("job %s began %s before the image was ready (checks waited %s); want it to run while the image is made (>= 100ms before)", name, lead, jobs["checks"].Waited)
		}
	}
	cf, err := img.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != pipeline.RuntimeUser || cf.Config.WorkingDir != "/app" {
		t.Errorf("user, workdir = %q, %q; want %q, /app", cf.Config.User, cf.Config.WorkingDir, pipeline.RuntimeUser)
	}
	if got := strings.Join(cf.Config.Entrypoint, " "); got != "node app.js" {
		t.Errorf("entrypoint = %q, want node app.js", got)
	}
	if got := cf.Config.Labels[pipeline.LabelVersion]; got != "1.2.3" {
		t.Errorf("version label = %q, want 1.2.3", got)
	}
}

// TestSmokeRunsPublishedFiles: when normalization removes a file the
// build container has (an npm-debug.log that .dockerignore let in, one of
// repro.DefaultNoise), the smoke verdict comes from the published image,
// not from that container. This app exits when the file is there, so only
// a run of the published image passes.
func TestSmokeRunsPublishedFiles(t *testing.T) {
	c := testenv.Client(t)
	dir := variant(t, func(dir string) {
		for name, body := range map[string]string{".dockerignore": "!npm-debug.log\n", "npm-debug.log": "0 info it worked if it ends with ok\n"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		replaceIn(t, filepath.Join(dir, "app.js"), "'use strict';", `'use strict';
if (process.env.NODE_ENV === 'production' && require('node:fs').existsSync(__dirname + '/npm-debug.log')) {
  console.error('npm-debug.log is here: this is not the published image');
  process.exit(3);
}`)
	})
	b, img, report, err := pipeline.BuildAndTest(ctx(t), c, options(c, dir, "1.0.0"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(img.Dropped, "app/npm-debug.log") {
		t.Fatalf("normalization dropped %v; want app/npm-debug.log (the test needs a file the build has and the image has not)", img.Dropped)
	}
	// The runtime base has no shell or coreutils: ask its node.
	exists := []string{"node", "-e", "process.exit(require('node:fs').existsSync('/app/npm-debug.log') ? 0 : 1)"}
	if _, err := b.Platforms[0].Runtime.WithExec(exists).Sync(ctx(t)); err != nil {
		t.Fatalf("the build container has no /app/npm-debug.log: %v", err)
	}
	t.Log("\n" + report.String())
	if err := report.Err(); err != nil {
		t.Fatalf("want every job passed (the smoke test on the published image): %v", err)
	}
}

// TestFailingJobsAreNamed: a failing unit test and a lint error each fail
// the stage, naming the job; the other jobs are still reported.
func TestFailingJobsAreNamed(t *testing.T) {
	c := testenv.Client(t)
	for _, tc := range []struct {
		job  string
		edit func(dir string)
	}{
		{"unit", func(dir string) {
			replaceIn(t, filepath.Join(dir, "test", "app.test.js"), "assert.equal(res.status, 404);", "assert.equal(res.status, 200);")
		}},
		{"lint", func(dir string) {
			replaceIn(t, filepath.Join(dir, "app.js"), "const startedAt = Date.now();", "const startedAt = Date.now();\nconst unused = 1;")
		}},
	} {
		t.Run(tc.job, func(t *testing.T) {
			dir := variant(t, tc.edit)
			b, img, err := pipeline.BuildImage(ctx(t), c, options(c, dir, "1.0.0"), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			report := pipeline.Test(ctx(t), c, b, img)
			err = report.Err()
			if err == nil || !strings.Contains(err.Error(), tc.job) {
				t.Fatalf("Test().Err() = %v, want a failure naming %s\n%s", err, tc.job, report)
			}
			if len(report.Jobs) != 4 {
				t.Errorf("report has %d jobs, want all 4 reported", len(report.Jobs))
			}
			for _, j := range report.Jobs {
				if j.Name != tc.job && j.Status == pipeline.Failed {
					t.Errorf("job %s failed too: %s", j.Name, j.Detail)
				}
			}
		})
	}
}

// TestDependencyLayerReused: changing app.js changes only the app layer;
// the dependency layer keeps its digest, and npm ci is not run again (its
// output keeps its modification time).
func TestDependencyLayerReused(t *testing.T) {
	c := testenv.Client(t)
	ba, a, err := pipeline.BuildImage(ctx(t), c, options(c, testenv.Path("fixtures", "app"), "1.0.0"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := variant(t, func(dir string) {
		replaceIn(t, filepath.Join(dir, "app.js"), "Hello from an immutable image", "Hello again from an immutable image")
	})
	bb, b, err := pipeline.BuildImage(ctx(t), c, options(c, dir, "1.0.0"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	la, _ := a.Image.Layers()
	lb, _ := b.Image.Layers()
	if len(la) != len(lb) || len(la) < 2 {
		t.Fatalf("layer counts %d, %d", len(la), len(lb))
	}
	n := len(la)
	depA, _ := la[n-2].Digest()
	depB, _ := lb[n-2].Digest()
	appA, _ := la[n-1].Digest()
	appB, _ := lb[n-1].Digest()
	if depA != depB {
		t.Errorf("dependency layer changed with app.js: %s != %s", depA, depB)
	}
	if appA == appB {
		t.Errorf("app layer did not change with app.js: %s", appA)
	}
	installed := func(b *pipeline.Build) string {
		out, err := b.Dev.WithExec([]string{"stat", "-c", "%y", "node_modules/.package-lock.json"}).Stdout(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if ia, ib := installed(ba), installed(bb); ia != ib {
		t.Errorf("npm ci ran again after an app.js change (node_modules written at %s, then %s): the install step's cache key depends on more than the manifests", ia, ib)
	}
}
