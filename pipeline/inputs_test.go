package pipeline

import (
	"archive/zip"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"

	"dagger/immutable/publish"
)

// TestOptionsDigest: every option that changes the image or a gate changes
// the digest; Dagger objects (source, token, npm registry service) do not
// take part.
func TestOptionsDigest(t *testing.T) {
	base := func() BuildOptions {
		return BuildOptions{Version: "1.0.0", Revision: "r", Epoch: time.Unix(1704067200, 0), Port: 3000,
			Smoke: SmokeOptions{VersionPath: "/version"}}
	}
	digest := func(b BuildOptions, failOn string, signed bool) string {
		t.Helper()
		var key crypto.Signer
		if signed {
			key = testKey
		}
		d, err := optionsDigest(b, failOn, key)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ref := digest(base(), "", false)
	withDagger := base()
	withDagger.Source, withDagger.NpmToken = &dagger.Directory{}, &dagger.Secret{}
	if got := digest(withDagger, "", false); got != ref {
		t.Errorf("Dagger objects changed the options digest: %s != %s", got, ref)
	}
	withBases := base()
	withBases.RuntimeBase, withBases.BuilderBase = "r@sha256:1", "b@sha256:2"
	if got := digest(withBases, "", false); got != ref {
		t.Errorf("the bases (their own inputs) changed the options digest: %s != %s", got, ref)
	}
	for name, edit := range map[string]func(*BuildOptions){
		"version":    func(b *BuildOptions) { b.Version = "1.0.1" },
		"revision":   func(b *BuildOptions) { b.Revision = "s" },
		"epoch":      func(b *BuildOptions) { b.Epoch = b.Epoch.Add(time.Second) },
		"port":       func(b *BuildOptions) { b.Port = 8080 },
		"env":        func(b *BuildOptions) { b.Env = []string{"A=1"} },
		"args":       func(b *BuildOptions) { b.Args = []string{"x"} },
		"entrypoint": func(b *BuildOptions) { b.Entrypoint = "server.js" },
		"worker":     func(b *BuildOptions) { b.Worker = true },
		"smoke":      func(b *BuildOptions) { b.Smoke.Probes = []Probe{{Path: "/healthz", Status: 200}} },
		"skip smoke": func(b *BuildOptions) { b.Smoke.Skip = true },
		"cache bust": func(b *BuildOptions) { b.CacheBust = "x" },
	} {
		b := base()
		edit(&b)
		if got := digest(b, "", false); got == ref {
			t.Errorf("%s: the options digest did not change", name)
		}
	}
	if digest(base(), "critical", false) == ref {
		t.Error("fail-on: the options digest did not change")
	}
	if digest(base(), "", true) == ref {
		t.Error("signing key: the options digest did not change")
	}
}

var testKey = func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}()

// TestAdvisoryDigest: a byte or a name changed in the database changes the
// digest; the same content elsewhere does not.
func TestAdvisoryDigest(t *testing.T) {
	digest := func(path string) string {
		t.Helper()
		d, err := advisoryDigest(path)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	files := map[string]string{"npm/GHSA-1.json": `{"id":"GHSA-1"}`, "npm/GHSA-2.json": `{"id":"GHSA-2"}`}
	ref := digest(writeFiles(t, t.TempDir(), files))
	if got := digest(writeFiles(t, t.TempDir(), files)); got != ref {
		t.Errorf("same content in another directory: %s != %s", got, ref)
	}
	for name, edit := range map[string]map[string]string{
		"a byte":   {"npm/GHSA-1.json": `{"id":"GHSA-3"}`, "npm/GHSA-2.json": `{"id":"GHSA-2"}`},
		"a name":   {"npm/GHSA-9.json": `{"id":"GHSA-1"}`, "npm/GHSA-2.json": `{"id":"GHSA-2"}`},
		"a file +": {"npm/GHSA-1.json": `{"id":"GHSA-1"}`, "npm/GHSA-2.json": `{"id":"GHSA-2"}`, "x.json": "{}"},
	} {
		if digest(writeFiles(t, t.TempDir(), edit)) == ref {
			t.Errorf("%s changed: digest did not change", name)
		}
	}
	if d := digest(""); d != "none" {
		t.Errorf(`advisoryDigest("") = %q, want "none"`, d)
	}
	zp := filepath.Join(t.TempDir(), "all.zip")
	f, err := os.Create(zp)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("GHSA-1.json")
	w.Write([]byte(`{"id":"GHSA-1"}`))
	zw.Close()
	f.Close()
	if d := digest(zp); !strings.HasPrefix(d, "sha256:") || d == ref {
		t.Errorf("zip digest = %q", d)
	}
	if _, err := advisoryDigest(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing database gave no error")
	}
}

// TestReusable: only a released version at its record's digest, with the
// same inputs, passed gates and every attachment present, is reused; every
// other case says why the gates run.
func TestReusable(t *testing.T) {
	in := publish.NewInputs(map[string]string{InputSource: "sha256:a", InputAdvisories: "sha256:b"})
	other := publish.NewInputs(map[string]string{InputSource: "sha256:a", InputAdvisories: "sha256:c"})
	good := func() *publish.Released {
		return &publish.Released{VersionTag: "v1.0.0", RecordTag: "v1.0.0_release", Digest: "sha256:d",
			Record: &publish.Record{Digest: "sha256:d", Inputs: in, Gates: []publish.Gate{{Name: "unit", Passed: true}, {Name: "smoke", Passed: true, Skipped: true}}}}
	}
	for _, tc := range []struct {
		name string
		edit func(*publish.Released)
		ok   bool
		why  string
	}{
		{"same inputs", func(*publish.Released) {}, true, "gates not run again"},
		{"not released", func(r *publish.Released) { r.Digest, r.Record = "", nil }, false, "not released yet"},
		{"no record", func(r *publish.Released) { r.Record = nil }, false, "no release record"},
		{"old record", func(r *publish.Released) { r.Record.Inputs = nil }, false, "before inputs were recorded"},
		{"advisories changed", func(r *publish.Released) { r.Record.Inputs = other }, false, "inputs changed since v1.0.0_release (advisories)"},
		{"tag moved", func(r *publish.Released) { r.Digest = "sha256:e" }, false, "points at sha256:e"},
		{"attachment missing", func(r *publish.Released) { r.Missing = []string{"sbom sha256:f"} }, false, "missing: sbom sha256:f"},
		{"gate failed", func(r *publish.Released) { r.Record.Gates[0].Passed = false }, false, "did not all pass (unit)"},
		{"no gates", func(r *publish.Released) { r.Record.Gates = nil }, false, "no gate results"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := good()
			tc.edit(prev)
			why, ok := reusable(in, prev)
			if ok != tc.ok || !strings.Contains(why, tc.why) {
				t.Errorf("reusable = %v, %q; want %v, …%q…", ok, why, tc.ok, tc.why)
			}
		})
	}
}
