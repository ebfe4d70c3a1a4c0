package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"dagger/immutable/baselock"
	"dagger/immutable/internal/testenv"
	"dagger/immutable/nodeapp"
	"dagger/immutable/pipeline"
	"dagger/immutable/publish"
)

// badInput is one row of TestBadInputs: a release with one thing wrong.
type badInput struct {
	name string
	// version to release; "" means 1.0.0.
	version string
	// edit changes the fixture copy (nil: the fixture as is).
	edit func(t *testing.T, dir string)
	// opts changes the release options after they are filled in.
	opts func(o *pipeline.ReleaseOptions)
	// class is the error class the release must return (errors.Is).
	class error
	// gate, when set, must be among the failed gates.
	gate string
	// heavy cases build; they run in parallel with each other.
	heavy bool
	// after, when set, checks that nothing was published where the local
	// registry check cannot look.
	after func(t *testing.T)
}

// TestBadInputs releases bad inputs to the real registry through the real
// engine and checks each is rejected cleanly: the error has the expected
// class (and gate), says what to do, and nothing was published.
func TestBadInputs(t *testing.T) {
	c := testenv.Client(t)
	reg := testenv.Registry(t)
	run := time.Now().UnixNano()
	rt := baselock.Default().RuntimeRefIn(pipeline.DefaultBaseRegistry)
	missingBase := rt[:strings.LastIndex(rt, "@")+1] + "sha256:" + strings.Repeat("0", 64)

	// One repository already has 1.0.0 of the fixture.
	released := fmt.Sprintf("%s/badinput/released-%d", reg, run)
	if _, err := pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{
		Build: options(c, testenv.Path("fixtures", "app"), "1.0.0"), Registry: pipeline.Registry{Repo: released}, WorkDir: t.TempDir(),
	}); err != nil {
		t.Fatalf("releasing 1.0.0 first: %v", err)
	}

	rm := func(file string) func(*testing.T, string) {
		return func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, file)) }
	}
	write := func(file, body string) func(*testing.T, string) {
		return func(t *testing.T, dir string) { os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644) }
	}
	cases := []badInput{
		{name: "invalid semver", version: "1.0", class: publish.ErrInvalidVersion},
		{name: "version with shell characters", version: "1.0.0;rm -rf /", class: publish.ErrInvalidVersion},
		{name: "version with a tag injection", version: "1.0.0 -t evil:latest", class: publish.ErrInvalidVersion},
		{name: "version with a path", version: "../1.0.0", class: publish.ErrInvalidVersion},
		{name: "version with build metadata", version: "1.0.0+evil", class: publish.ErrInvalidVersion},
		{name: "unpinned base", opts: func(o *pipeline.ReleaseOptions) { o.Build.RuntimeBase = "node:24-bookworm-slim" }, class: pipeline.ErrUnpinnedBase},
		{name: "base digest that does not exist", opts: func(o *pipeline.ReleaseOptions) { o.Build.RuntimeBase = missingBase }, class: pipeline.ErrBaseUnavailable},
		{name: "missing package.json", edit: rm("package.json"), class: nodeapp.ErrPackageJSON},
		{name: "invalid package.json", edit: write("package.json", "{nope"), class: nodeapp.ErrPackageJSON},
		{name: "missing lockfile", edit: rm("package-lock.json"), class: nodeapp.ErrLockfile},
		{name: "lockfile out of sync", edit: func(t *testing.T, dir string) {
			replaceIn(t, filepath.Join(dir, "package.json"), `"ms": "2.1.3"`, `"ms": "2.1.3", "left-pad": "1.3.0"`)
		}, class: nodeapp.ErrLockfile},
		{name: "empty source directory", edit: func(t *testing.T, dir string) {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}, class: pipeline.ErrEmptySource},
		{name: "registry path with upper case", opts: func(o *pipeline.ReleaseOptions) { o.Registry.Repo = reg + "/Hello-Immutable" }, class: publish.ErrInvalidRepository},
		{name: "registry path with invalid characters", opts: func(o *pipeline.ReleaseOptions) { o.Registry.Repo = reg + "/hello immutable!" }, class: publish.ErrInvalidRepository},
		{name: "unreachable registry", opts: func(o *pipeline.ReleaseOptions) { o.Registry.Repo = "127.0.0.1:1/hello-immutable" }, class: publish.ErrUnreachable},
		{name: "version already released with another digest", edit: func(t *testing.T, dir string) {
			replaceIn(t, filepath.Join(dir, "app.js"), "Hello from an immutable image", "Hello, changed")
		}, opts: func(o *pipeline.ReleaseOptions) { o.Registry.Repo = released }, class: publish.ErrVersionExists, heavy: true},
		{name: "failing unit test", edit: func(t *testing.T, dir string) {
			replaceIn(t, filepath.Join(dir, "test", "app.test.js"), "assert.equal(res.status, 404);", "assert.equal(res.status, 500);")
		}, class: pipeline.ErrGateFailed, gate: "unit", heavy: true},
		{name: "lint error", edit: func(t *testing.T, dir string) {
			replaceIn(t, filepath.Join(dir, "app.js"), "const startedAt = Date.now();", "const startedAt = Date.now();\nconst unusedVariable = 1;")
		}, class: pipeline.ErrGateFailed, gate: "lint", heavy: true},
		{name: "irreproducible build", edit: func(t *testing.T, dir string) {
			replaceIn(t, filepath.Join(dir, "package.json"), `"start": "node app.js",`,
				`"start": "node app.js", "postinstall": "node -e \"require('fs').writeFileSync('node_modules/stamp.txt', String(Date.now()))\"",`)
		}, class: pipeline.ErrGateFailed, gate: "reproducible", heavy: true},
		{name: "vulnerable dependency above the threshold", opts: func(o *pipeline.ReleaseOptions) {
			o.Build.Source = c.Host().Directory(testenv.Path("fixtures", "vulnerable"))
			o.AdvisoryDB = testenv.Path("fixtures", "osv")
		}, class: pipeline.ErrGateFailed, gate: "scan", heavy: true},
		wrongCredentials(t),
	}

	var tried, rejected atomic.Int32
	t.Run("cases", func(t *testing.T) {
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if tc.heavy {
					t.Parallel()
				}
				tried.Add(1)
				dir := variant(t, nil)
				if tc.edit != nil {
					tc.edit(t, dir)
				}
				version := tc.version
				if version == "" {
					version = "1.0.0"
				}
				o := pipeline.ReleaseOptions{
					Build:    options(c, dir, version),
					Registry: pipeline.Registry{Repo: fmt.Sprintf("%s/badinput/case-%d-%d", reg, i, run)},
					WorkDir:  t.TempDir(),
				}
				if tc.opts != nil {
					tc.opts(&o)
				}
				before := tagsIfLocal(t, reg, o.Registry.Repo)
				start := time.Now()
				_, err := pipeline.Release(ctx(t), c, o)
				if err == nil {
					t.Fatalf("release succeeded, want %v", tc.class)
				}
				t.Logf("%s after %s: %v", tc.name, time.Since(start).Round(time.Millisecond), err)
				ok := true
				if !errors.Is(err, tc.class) {
					t.Errorf("error class: got %v, want errors.Is(err, %q)", err, tc.class)
					ok = false
				}
				var ge *pipeline.GateError
				if tc.gate != "" && (!errors.As(err, &ge) || !slices.Contains(ge.Gates, tc.gate)) {
					t.Errorf("failed gates = %+v, want %s among them", ge, tc.gate)
					ok = false
				}
				if !strings.Contains(err.Error(), "nothing was published") && tc.class != publish.ErrVersionExists {
					t.Errorf("error does not say that nothing was published: %v", err)
					ok = false
				}
				if after := tagsIfLocal(t, reg, o.Registry.Repo); !reflect.DeepEqual(before, after) {
					t.Errorf("registry changed:\nbefore %v\nafter  %v", before, after)
					ok = false
				}
				if tc.after != nil {
					tc.after(t)
					ok = ok && !t.Failed()
				}
				if ok {
					rejected.Add(1) // parallel subtests finish before t.Run returns
				}
			})
		}
	})
	testenv.Summary(t, "bad inputs", "%d tried, %d rejected cleanly (right error class, nothing published)", tried.Load(), rejected.Load())
	if rejected.Load() != tried.Load() {
		t.Errorf("%d of %d bad inputs were not rejected cleanly", tried.Load()-rejected.Load(), tried.Load())
	}
}

// tagsIfLocal returns repo's tags when it is a valid repository of the
// local registry, else nil (nothing can be published there anyway).
func tagsIfLocal(t *testing.T, reg, repo string) map[string]string {
	t.Helper()
	if !strings.HasPrefix(repo, reg+"/") || !regexp.MustCompile(`^[a-z0-9._/-]+$`).MatchString(strings.TrimPrefix(repo, reg+"/")) {
		return nil
	}
	return testenv.Tags(t, repo)
}

// wrongCredentials is the bad input "wrong credentials": a release to a
// registry that requires a password, with the wrong one. Its repository
// must stay empty (checked with the right password).
func wrongCredentials(t *testing.T) badInput {
	reg := testenv.AuthRegistry(t, "ci", "right-password")
	repo := reg + "/hello-immutable"
	return badInput{
		name: "wrong credentials",
		opts: func(o *pipeline.ReleaseOptions) {
			o.Registry.Repo = repo
			o.Registry.Access.Auth = &authn.Basic{Username: "ci", Password: "wrong-password"}
		},
		class: publish.ErrUnauthorized,
		after: func(t *testing.T) {
			h, err := pipeline.Releases(context.Background(), pipeline.Registry{Repo: repo, Access: publish.Access{Auth: &authn.Basic{Username: "ci", Password: "right-password"}}})
			if err != nil {
				t.Fatalf("reading %s with the right password: %v", repo, err)
			}
			if len(h.Releases) != 0 {
				t.Errorf("%s has releases after a refused release: %v", repo, h.Releases)
			}
		},
	}
}
