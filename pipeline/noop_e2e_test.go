package pipeline_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
)

// TestNoopRerelease releases the fixture, then releases it again unchanged:
// the second release builds nothing, runs no gate, says so and why, and
// reports the first release's gate results and digest. With the advisory
// database changed, the gates run again (the version stays released at the
// same digest).
func TestNoopRerelease(t *testing.T) {
	c := testenv.Client(t)
	repo := fmt.Sprintf("%s/e2e-noop-%d", testenv.Registry(t), time.Now().UnixNano())
	rev := fmt.Sprintf("noop-%d", time.Now().UnixNano())
	builds := pipeline.CountBuilds(t, rev)
	dir := variant(t, nil)
	db := testenv.CopyFixture(t, "osv")
	release := func() *pipeline.ReleaseReport {
		t.Helper()
		o := options(c, dir, "1.0.0")
		o.Revision = rev
		r, err := pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{
			Build: o, Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir(), AdvisoryDB: db,
		})
		if err != nil {
			t.Fatalf("release: %v", err)
		}
		return r
	}

	first := release()
	if first.Inputs == nil || first.Inputs.Reused || !strings.Contains(first.Inputs.Why, "not released yet") || builds.Load() != 1 {
		t.Fatalf("first release: inputs %+v, %d builds; want gates run (not released yet), 1 build", first.Inputs, builds.Load())
	}
	before := testenv.Tags(t, repo)

	second := release()
	var out bytes.Buffer
	second.Format(&out)
	t.Logf("second release:\n%s", out.String())
	if n := builds.Load(); n != 1 {
		t.Errorf("the unchanged re-release built %d more time(s)", n-1)
	}
	if !second.Inputs.Reused || second.Inputs.Key != first.Inputs.Key || !strings.Contains(out.String(), "already released with the same inputs (key ") || !strings.Contains(out.String(), "gates not run again") {
		t.Errorf("second release: inputs %+v; want reused with key %s, said in the output", second.Inputs, first.Inputs.Key)
	}
	if second.Tests != nil || second.Verify != nil || second.Scan != nil {
		t.Error("the re-release reports tests, verify or scan results: it ran gates")
	}
	if second.Digest != first.Digest || !second.Result.AlreadyReleased || second.SBOMDigest != first.SBOMDigest {
		t.Errorf("second release: digest %s, already released %v, sbom %s; want %s, true, %s", second.Digest, second.Result.AlreadyReleased, second.SBOMDigest, first.Digest, first.SBOMDigest)
	}
	// The record holds the gates run before publishing.
	if want := slices.DeleteFunc(gateNames(first), func(g string) bool { return g == "publish" || g == "attest" }); !reflect.DeepEqual(gateNames(second), want) {
		t.Errorf("second release gates %v, want the record's %v", gateNames(second), want)
	}
	if after := testenv.Tags(t, repo); !reflect.DeepEqual(before, after) {
		t.Errorf("the no-op re-release changed the registry:\n%v\n%v", before, after)
	}

	if err := os.WriteFile(filepath.Join(db, "GHSA-0000-0000-0000.json"), []byte(`{"id":"GHSA-0000-0000-0000","affected":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	third := release()
	if n := builds.Load(); n != 2 {
		t.Errorf("with a changed advisory database: %d builds in all, want 2 (the gates run again)", n)
	}
	if third.Inputs.Reused || !strings.Contains(third.Inputs.Why, "inputs changed since v1.0.0_release (advisories)") || third.Tests == nil {
		t.Errorf("with a changed advisory database: inputs %+v, tests ran: %v; want the gates run because of the advisories", third.Inputs, third.Tests != nil)
	}
	if third.Digest != first.Digest || !third.Result.AlreadyReleased {
		t.Errorf("with a changed advisory database: digest %s, already released %v; want %s, true", third.Digest, third.Result.AlreadyReleased, first.Digest)
	}
}

func gateNames(r *pipeline.ReleaseReport) []string {
	var out []string
	for _, g := range r.Gates {
		out = append(out, g.Name)
	}
	return out
}

// TestReleaseInputs computes a release's inputs on the engine: the same
// inputs give the same key; a source byte, the advisory database, a base
// and an option each change their own part and the key.
func TestReleaseInputs(t *testing.T) {
	c := testenv.Client(t)
	dir := variant(t, nil)
	db := testenv.CopyFixture(t, "osv")
	opts := func() pipeline.ReleaseOptions {
		return pipeline.ReleaseOptions{Build: options(c, dir, "1.0.0"), AdvisoryDB: db}
	}
	key := func(o pipeline.ReleaseOptions) (string, map[string]string) {
		t.Helper()
		in, err := pipeline.ReleaseInputs(ctx(t), c, o)
		if err != nil {
			t.Fatal(err)
		}
		return in.Key, in.Parts
	}
	ref, parts := key(opts())
	if again, _ := key(opts()); again != ref {
		t.Fatalf("same inputs, keys %s and %s", ref, again)
	}
	for _, p := range []string{pipeline.InputPipeline, pipeline.InputSource, pipeline.InputRuntimeBase, pipeline.InputBuilderBase, pipeline.InputOptions, pipeline.InputAdvisories} {
		if parts[p] == "" {
			t.Errorf("part %s is empty: %v", p, parts)
		}
	}
	changed := variant(t, func(d string) {
		replaceIn(t, filepath.Join(d, "app.js"), "Hello from an immutable image", "Hello from an immutable imagE")
	})
	db2 := testenv.CopyFixture(t, "osv")
	if err := os.WriteFile(filepath.Join(db2, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		part string
		edit func(*pipeline.ReleaseOptions)
	}{
		{pipeline.InputSource, func(o *pipeline.ReleaseOptions) { o.Build.Source = c.Host().Directory(changed) }},
		{pipeline.InputAdvisories, func(o *pipeline.ReleaseOptions) { o.AdvisoryDB = db2 }},
		{pipeline.InputRuntimeBase, func(o *pipeline.ReleaseOptions) {
			o.Build.RuntimeBase = "localhost:5000/other/node-runtime@sha256:" + strings.Repeat("0", 64)
		}},
		{pipeline.InputOptions, func(o *pipeline.ReleaseOptions) { o.Build.Smoke.Timeout = time.Minute }},
		{pipeline.InputOptions, func(o *pipeline.ReleaseOptions) { o.FailOn = "critical" }},
	} {
		o := opts()
		tc.edit(&o)
		k, p := key(o)
		if k == ref {
			t.Errorf("%s changed: the key did not", tc.part)
		}
		for name, v := range p {
			if (v != parts[name]) != (name == tc.part) {
				t.Errorf("%s changed: part %s is %s, was %s", tc.part, name, v, parts[name])
			}
		}
	}
}
