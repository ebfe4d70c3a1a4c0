package pipeline_test

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
	"dagger/immutable/publish"
)

// fieldRelease releases dir as version 1.0.0 to a new repository, with the
// fixture options edited by edit, and returns the report, the repository
// and the error.
func fieldRelease(t *testing.T, tag, dir string, edit func(o *pipeline.BuildOptions)) (*pipeline.ReleaseReport, string, error) {
	t.Helper()
	c := testenv.Client(t)
	repo := fmt.Sprintf("%s/field-%s-%d", testenv.Registry(t), tag, time.Now().UnixNano())
	o := options(c, dir, "1.0.0")
	o.Smoke = pipeline.SmokeOptions{} // the default contract, not the fixture's /version
	if edit != nil {
		edit(&o)
	}
	r, err := pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{Build: o, Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir()})
	return r, repo, err
}

// record reads the release record of 1.0.0 back from the registry.
func record(t *testing.T, repo string) *publish.Record {
	t.Helper()
	h, err := pipeline.Releases(ctx(t), pipeline.Registry{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Releases) != 1 || h.Releases[0].Record == nil {
		t.Fatalf("releases of %s = %+v, want 1.0.0 with a record", repo, h.Releases)
	}
	return h.Releases[0].Record
}

// gateOf returns the named gate of a record.
func gateOf(t *testing.T, gates []publish.Gate, name string) publish.Gate {
	t.Helper()
	for _, g := range gates {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("no gate %q in %+v", name, gates)
	return publish.Gate{}
}

// published is the released image's config, and the image.
func published(t *testing.T, repo string) (*v1.ConfigFile, v1.Image) {
	t.Helper()
	ref, err := name.ParseReference(repo + ":v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf, img
}

// TestFieldApps releases field-shaped apps end to end, each with at most
// --port, arguments, --env and a writable directory, and checks what the
// image and its release record say about how it runs.
func TestFieldApps(t *testing.T) {
	testenv.Require(t)

	t.Run("esm-service", func(t *testing.T) {
		t.Parallel()
		r, repo, err := fieldRelease(t, "esm", testenv.Path("fixtures", "esm-service"), func(o *pipeline.BuildOptions) {
			o.Port = 8080
			o.Env = []string{"LOG_LEVEL=warn"}
		})
		if err != nil {
			t.Fatalf("release: %v\n%s", err, reportText(r))
		}
		for _, gate := range []string{"unit", "lint", "smoke"} {
			if g := gateOf(t, r.Gates, gate); !g.Passed || g.Skipped {
				t.Errorf("gate %s = %+v, want run and passed (mocha, eslint 9, GET /)", gate, g)
			}
		}
		cf, _ := published(t, repo)
		wantLabels := map[string]string{
			pipeline.LabelTitle:       "esm-service",
			pipeline.LabelLicenses:    "Apache-2.0",
			pipeline.LabelDescription: "A small Express 5 ESM service: a field-shaped fixture for the immutable pipeline.",
		}
		for k, v := range wantLabels {
			if cf.Config.Labels[k] != v {
				t.Errorf("label %s = %q, want %q (from package.json, not the base)", k, cf.Config.Labels[k], v)
			}
		}
		if _, ok := cf.Config.ExposedPorts["8080/tcp"]; !ok || !slices.Contains(cf.Config.Env, "PORT=8080") || !slices.Contains(cf.Config.Env, "LOG_LEVEL=warn") {
			t.Errorf("config ports %v env %v; want 8080/tcp, PORT=8080 and LOG_LEVEL=warn", cf.Config.ExposedPorts, cf.Config.Env)
		}
		rec := record(t, repo)
		if rec.Runtime == nil || !slices.Contains(rec.Runtime.Env, "LOG_LEVEL=warn") || !reflect.DeepEqual(rec.Runtime.ExposedPorts, []string{"8080/tcp"}) {
			t.Errorf("record runtime = %+v, want LOG_LEVEL=warn and port 8080/tcp", rec.Runtime)
		}
	})

	t.Run("cjs-start", func(t *testing.T) {
		t.Parallel()
		// /config answers 404 unless the server was started with its argument.
		r, repo, err := fieldRelease(t, "cjs", testenv.Path("fixtures", "cjs-start"), func(o *pipeline.BuildOptions) {
			o.Args = []string{"config.json"}
			o.Smoke.Probes = []pipeline.Probe{{Path: "/config", Status: 200}}
		})
		if err != nil {
			t.Fatalf("release: %v\n%s", err, reportText(r))
		}
		for _, gate := range []string{"unit", "lint"} {
			if g := gateOf(t, r.Gates, gate); !g.Skipped || !strings.Contains(g.Detail, "no \""+map[string]string{"unit": "test", "lint": "lint"}[gate]+"\" script") {
				t.Errorf("gate %s = %+v, want skipped: no script", gate, g)
			}
		}
		rt := record(t, repo).Runtime
		if rt == nil || !reflect.DeepEqual(rt.Entrypoint, []string{"node", "server.js"}) || !reflect.DeepEqual(rt.Cmd, []string{"config.json"}) || !reflect.DeepEqual(rt.ExposedPorts, []string{"3000/tcp"}) {
			t.Errorf("record runtime = %+v, want node server.js config.json on 3000/tcp (entrypoint from the start script)", rt)
		}
	})

	t.Run("pnpm-bin-start", func(t *testing.T) {
		t.Parallel()
		// `fastify start … app.js` runs fastify-cli's bin; pnpm's lockfile
		// does not record it, so the build looks it up in node_modules. The
		// build step must run as `pnpm run build` (build.js refuses any
		// other tool) and writes the built.json app.js loads: the smoke
		// test's GET / passing proves both, and fastify-cli loading the
		// plugin.
		r, repo, err := fieldRelease(t, "pnpm-bin", testenv.Path("fixtures", "pnpm-bin-start"), nil)
		if err != nil {
			t.Fatalf("release: %v\n%s", err, reportText(r))
		}
		if g := gateOf(t, r.Gates, "smoke"); !g.Passed || g.Skipped {
			t.Errorf("smoke gate = %+v, want passed", g)
		}
		rt := record(t, repo).Runtime
		want := []string{"start", "-a", "0.0.0.0", "-l", "info", "app.js"}
		if rt == nil || !reflect.DeepEqual(rt.Entrypoint, []string{"node", "node_modules/fastify-cli/cli.js"}) || !reflect.DeepEqual(rt.Cmd, want) {
			t.Errorf("record runtime = %+v, want node node_modules/fastify-cli/cli.js %v (fastify-cli's bin)", rt, want)
		}
	})

	t.Run("worker", func(t *testing.T) {
		t.Parallel()
		// The worker writes a heartbeat to $DATA_DIR every second and
		// crashes if it cannot: the smoke test passing proves the writable
		// directory works for the non-root user.
		r, repo, err := fieldRelease(t, "worker", testenv.Path("fixtures", "worker"), func(o *pipeline.BuildOptions) {
			o.Worker = true
			o.Env = []string{"DATA_DIR=/app/data"}
			o.WritableDirs = []string{"/app/data"}
			o.Smoke.Uptime = 4 * time.Second
		})
		if err != nil {
			t.Fatalf("release: %v\n%s", err, reportText(r))
		}
		if g := gateOf(t, r.Gates, "smoke"); !g.Passed || g.Skipped {
			t.Errorf("smoke gate = %+v, want passed", g)
		}
		cf, img := published(t, repo)
		if len(cf.Config.ExposedPorts) != 0 || slices.ContainsFunc(cf.Config.Env, func(e string) bool { return strings.HasPrefix(e, "PORT=") }) {
			t.Errorf("worker config: ports %v, env %v; want no port and no PORT", cf.Config.ExposedPorts, cf.Config.Env)
		}
		if uid, gid, mode := ownerOf(t, img, "app/data"); uid != 1000 || gid != 1000 || mode&0o200 == 0 {
			t.Errorf("/app/data in the image: %d:%d mode %o, want 1000:1000 and writable by its owner", uid, gid, mode)
		}
		if rt := record(t, repo).Runtime; rt == nil || !reflect.DeepEqual(rt.WritableDirs, []string{"/app/data"}) {
			t.Errorf("record runtime = %+v, want writable dir /app/data", rt)
		}
	})
}

// TestFieldAppFailures: each smoke failure class is blocked, nothing is
// published, and the report says why with the app's own output; and
// --skip-smoke is explicit and recorded.
func TestFieldAppFailures(t *testing.T) {
	testenv.Require(t)

	t.Run("exits at start", func(t *testing.T) {
		t.Parallel()
		// The real-world failure: the app's data directory is not writable
		// by the non-root user (no --writable-dir).
		r, repo, err := fieldRelease(t, "exits", testenv.Path("fixtures", "worker"), func(o *pipeline.BuildOptions) {
			o.Worker = true
			o.Env = []string{"DATA_DIR=/app"}
		})
		text := smokeFailure(t, r, err, repo)
		for _, want := range []string{"the app exited (exit code 1)", "worker started, data dir: /app", "EACCES: permission denied, open '/app/heartbeat'"} {
			if !strings.Contains(text, want) {
				t.Errorf("report does not show %q:\n%s", want, text)
			}
		}
	})

	t.Run("500 on /", func(t *testing.T) {
		t.Parallel()
		r, repo, err := fieldRelease(t, "500", brokenApp(t), func(o *pipeline.BuildOptions) {
			o.Smoke.Timeout = 8 * time.Second
		})
		text := smokeFailure(t, r, err, repo)
		for _, want := range []string{"GET /: status 500, want below 500", "GET / -> 500 Internal Server Error", "Error: the database is not configured"} {
			if !strings.Contains(text, want) {
				t.Errorf("report does not show %q:\n%s", want, text)
			}
		}
	})

	t.Run("skip-smoke", func(t *testing.T) {
		t.Parallel()
		// The same broken app is released when, and only when, the smoke
		// test is skipped explicitly; the record says so.
		r, repo, err := fieldRelease(t, "skip", brokenApp(t), func(o *pipeline.BuildOptions) {
			o.Smoke.Skip = true
		})
		if err != nil {
			t.Fatalf("release with --skip-smoke: %v\n%s", err, reportText(r))
		}
		if text := reportText(r); !regexp.MustCompile(`smoke\s+skip\s`).MatchString(text) {
			t.Errorf("report does not show the smoke gate as skip:\n%s", text)
		}
		g := gateOf(t, record(t, repo).Gates, "smoke")
		if !g.Skipped || !strings.Contains(g.Detail, "skipped: --skip-smoke") {
			t.Errorf("record's smoke gate = %+v, want skipped by --skip-smoke", g)
		}
	})
}

// smokeFailure checks a release failed at the smoke gate only, published
// nothing, and returns the report's text.
func smokeFailure(t *testing.T, r *pipeline.ReleaseReport, err error, repo string) string {
	t.Helper()
	var ge *pipeline.GateError
	if !errors.As(err, &ge) || !reflect.DeepEqual(ge.Gates, []string{"smoke"}) {
		t.Fatalf("release: %v, want a failure of the smoke gate only\n%s", err, reportText(r))
	}
	if tags := testenv.Tags(t, repo); len(tags) != 0 {
		t.Errorf("a failed smoke test published %v", tags)
	}
	text := reportText(r)
	t.Logf("the report of the failed release:\n%s", text)
	if !strings.Contains(text, "smoke") || !strings.Contains(text, "FAIL") {
		t.Errorf("report does not show the smoke gate failing:\n%s", text)
	}
	return text
}

// brokenApp is a dependency-free service whose / fails with 500 (and logs
// why), in a new directory.
func brokenApp(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"package.json":      `{"name": "broken-root", "version": "1.0.0", "main": "server.js", "license": "MIT"}`,
		"package-lock.json": `{"name": "broken-root", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": {"": {"name": "broken-root", "version": "1.0.0", "license": "MIT"}}}`,
		"server.js": `require('node:http').createServer((req, res) => {
  console.error('Error: the database is not configured (GET ' + req.url + ')');
  res.statusCode = 500;
  res.end('internal error');
}).listen(Number(process.env.PORT), () => console.log('broken-root listening'));
`,
	}
	for f, body := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// ownerOf returns the owner and mode of path (no leading /) in img's
// flattened filesystem.
func ownerOf(t *testing.T, img v1.Image, path string) (uid, gid int, mode int64) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s is not in the image", path)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/") == path {
			return h.Uid, h.Gid, h.Mode
		}
	}
}

func reportText(r *pipeline.ReleaseReport) string {
	if r == nil {
		return "(no report)"
	}
	var b strings.Builder
	r.Format(&b)
	return b.String()
}
