package scan

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"

	"dagger/immutable/lockfile"
	"dagger/immutable/sbom"
)

func TestCompareDebian(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "1.1", -1},
		{"1.10", "1.9", 1},
		{"1.0~rc1", "1.0", -1},
		{"1.0~rc1", "1.0~rc2", -1},
		{"1.0~~", "1.0~", -1},
		{"1.0", "1.0+b1", -1},
		{"1.0a", "1.0+", -1}, // letters sort before other characters
		{"1:0.9", "2.0", 1},  // epoch first
		{"0:1.0", "1.0", 0},  // epoch 0 is the default
		{"2.36-9+deb12u7", "2.36-9+deb12u10", -1},
		{"2.36-9+deb12u7", "2.36-9", 1},
		{"2.36-10", "2.36-9+deb12u7", 1},
		{"1.2.13.dfsg-1", "1.2.13.dfsg-1+b1", -1},
		{"20250419~deb12u2", "20250419", -1},
		{"1.0-1", "1.0", 1}, // a revision beats none
		{"001", "1", 0},     // leading zeros
		{"1.2-3-4", "1.2-3-5", -1},
	} {
		if got := CompareDebian(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareDebian(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := CompareDebian(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareDebian(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestInRange(t *testing.T) {
	semverCmp := compareFunc("npm", "SEMVER")
	debCmp := compareFunc("Debian", "ECOSYSTEM")
	intro := func(v string) Event { return Event{Introduced: v} }
	fix := func(v string) Event { return Event{Fixed: v} }
	last := func(v string) Event { return Event{LastAffected: v} }
	for _, tc := range []struct {
		name    string
		events  []Event
		deb     bool
		version string
		want    bool
	}{
		{"in", []Event{intro("3.7.0"), fix("4.17.19")}, false, "4.17.15", true},
		{"at fixed", []Event{intro("3.7.0"), fix("4.17.19")}, false, "4.17.19", false},
		{"above fixed", []Event{intro("3.7.0"), fix("4.17.19")}, false, "4.17.21", false},
		{"at introduced", []Event{intro("3.7.0"), fix("4.17.19")}, false, "3.7.0", true},
		{"below introduced", []Event{intro("3.7.0"), fix("4.17.19")}, false, "3.6.9", false},
		{"introduced 0", []Event{intro("0"), fix("1.0.0")}, false, "0.0.1", true},
		{"no fix", []Event{intro("1.0.0")}, false, "99.0.0", true},
		{"last_affected at", []Event{intro("0"), last("2.0.0")}, false, "2.0.0", true},
		{"last_affected above", []Event{intro("0"), last("2.0.0")}, false, "2.0.1", false},
		{"unsorted events, second range", []Event{fix("2.0.0"), intro("1.5.0"), fix("1.2.0"), intro("1.0.0")}, false, "1.6.0", true},
		{"between ranges", []Event{fix("2.0.0"), intro("1.5.0"), fix("1.2.0"), intro("1.0.0")}, false, "1.3.0", false},
		{"prerelease below fix", []Event{intro("0"), fix("1.0.0")}, false, "1.0.0-rc.1", true},
		{"deb in", []Event{intro("0"), fix("2.36-9+deb12u8")}, true, "2.36-9+deb12u7", true},
		{"deb fixed", []Event{intro("0"), fix("2.36-9+deb12u8")}, true, "2.36-9+deb12u10", false},
		{"deb tilde", []Event{intro("0"), fix("20250419")}, true, "20250419~deb12u2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmp := semverCmp
			if tc.deb {
				cmp = debCmp
			}
			if got, _ := inRange(tc.events, tc.version, cmp); got != tc.want {
				t.Errorf("inRange(%v, %s) = %v, want %v", tc.events, tc.version, got, tc.want)
			}
		})
	}
}

func TestCVSS3Score(t *testing.T) {
	for _, tc := range []struct {
		vector string
		want   float64
	}{
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", 7.4},
		{"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H", 9.1},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N", 0},
	} {
		got, err := CVSS3Score(tc.vector)
		if err != nil || got != tc.want {
			t.Errorf("CVSS3Score(%s) = %v, %v; want %v", tc.vector, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "CVSS:2.0/AV:N", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N"} {
		if _, err := CVSS3Score(bad); err == nil {
			t.Errorf("CVSS3Score(%q) succeeded", bad)
		}
	}
}

func TestParseFailOn(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Options
		err  bool
	}{
		{"", Options{FailOn: High}, false},
		{"high", Options{FailOn: High}, false},
		{"MODERATE", Options{FailOn: Medium}, false},
		{"critical", Options{FailOn: Critical}, false},
		{"none", Options{FailOn: Never}, false},
		{"unknown", Options{FailOnUnknown: true}, false},
		{"severe", Options{}, true},
	} {
		got, err := ParseFailOn(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseFailOn(%q) = %+v, %v; want %+v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// fixture returns the repository path of elem under fixtures/.
func fixture(elem ...string) string {
	return filepath.Join(append([]string{"..", "fixtures"}, elem...)...)
}

// scanFixture scans the SBOM of an empty image with the fixture app's
// lockfile against the committed advisories.
func scanFixture(t *testing.T, app string, db *DB, o Options) *Report {
	t.Helper()
	return scanDir(t, fixture(app), app, db, o)
}

// scanDir scans the SBOM of an empty image with the lockfile in dir
// (package-lock.json, yarn.lock or pnpm-lock.yaml).
func scanDir(t *testing.T, dir, app string, db *DB, o Options) *Report {
	t.Helper()
	files := map[string][]byte{}
	for _, name := range []string{"package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			files[name] = b
		}
	}
	deps, err := lockfile.Parse(files)
	if err != nil {
		t.Fatal(err)
	}
	bom, err := sbom.Generate(empty.Image, deps, sbom.Options{Name: app})
	if err != nil {
		t.Fatal(err)
	}
	return Scan(bom, db, o)
}

func TestScanFixtures(t *testing.T) {
	db, err := Load(fixture("osv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Advisories) < 2 {
		t.Fatalf("loaded %d advisories from fixtures/osv", len(db.Advisories))
	}

	t.Run("vulnerable", func(t *testing.T) {
		r := scanFixture(t, "vulnerable", db, Options{})
		got := map[string]Finding{}
		for _, f := range r.Findings {
			got[f.ID] = f
		}
		f, ok := got["GHSA-p6mc-m468-83gw"]
		if !ok {
			t.Fatalf("no GHSA-p6mc-m468-83gw finding:\n%s", r)
		}
		if f.Package != "lodash" || f.Installed != "4.17.15" || f.Fixed != "4.17.19" || f.Severity != High || f.Aliases[0] != "CVE-2020-8203" {
			t.Errorf("finding = %+v", f)
		}
		if got["GHSA-29mw-wpgm-hmr9"].Severity != Medium {
			t.Errorf("GHSA-29mw-wpgm-hmr9 = %+v, want a MEDIUM finding", got["GHSA-29mw-wpgm-hmr9"])
		}
		if _, ok := got["GHSA-jf85-cpcp-j695"]; ok {
			t.Error("lodash 4.17.15 matched GHSA-jf85-cpcp-j695 (fixed in 4.17.12)")
		}
		err := r.Err()
		if err == nil || !strings.Contains(err.Error(), "GHSA-p6mc-m468-83gw") || !strings.Contains(err.Error(), "lodash 4.17.15") {
			t.Errorf("Err() = %v, want one naming GHSA-p6mc-m468-83gw and lodash 4.17.15", err)
		}
		if strings.Contains(err.Error(), "GHSA-29mw-wpgm-hmr9") {
			t.Errorf("Err() names a MEDIUM finding below the HIGH threshold: %v", err)
		}
		out := r.String()
		for _, want := range []string{"GHSA-p6mc-m468-83gw", "HIGH", "lodash", "4.17.15", "4.17.19", "CVE-2020-8203"} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("thresholds", func(t *testing.T) {
		for _, tc := range []struct {
			failOn string
			fails  int
		}{{"critical", 0}, {"high", 2}, {"medium", 3}, {"low", 3}, {"none", 0}, {"unknown", 3}} {
			o, _ := ParseFailOn(tc.failOn)
			r := scanFixture(t, "vulnerable", db, o)
			if n := len(r.Blocking()); n != tc.fails || (r.Err() != nil) != (tc.fails > 0) {
				t.Errorf("--fail-on %s: %d blocking, Err %v; want %d", tc.failOn, n, r.Err(), tc.fails)
			}
		}
	})

	// lodash 4.17.15 locked by yarn 1, yarn 4 and pnpm 10
	// (lockfile/testdata/lodash) is found as from package-lock.json.
	t.Run("every lockfile format", func(t *testing.T) {
		for _, pm := range []string{"yarn-classic", "yarn-berry", "pnpm"} {
			r := scanDir(t, filepath.Join("..", "lockfile", "testdata", "lodash", pm), pm, db, Options{})
			err := r.Err()
			if err == nil || !strings.Contains(err.Error(), "GHSA-p6mc-m468-83gw") || !strings.Contains(err.Error(), "lodash 4.17.15") {
				t.Errorf("%s: Err() = %v, want GHSA-p6mc-m468-83gw for lodash 4.17.15", pm, err)
			}
		}
		for _, app := range []string{"yarn-classic", "yarn-berry", "pnpm"} {
			if r := scanFixture(t, app, db, Options{}); r.Packages < 10 || len(r.Findings) != 0 {
				t.Errorf("fixture %s: %d packages, %d findings; want its dependencies, no finding", app, r.Packages, len(r.Findings))
			}
		}
	})

	t.Run("clean", func(t *testing.T) {
		r := scanFixture(t, "app", db, Options{})
		if len(r.Findings) != 0 || r.Err() != nil {
			t.Errorf("clean fixture has findings:\n%s", r)
		}
		if r.Packages == 0 {
			t.Error("no packages scanned")
		}
	})
}

func TestLoadZipAndDir(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "nested")
	os.MkdirAll(sub, 0o755)
	entries, err := os.ReadDir(fixture("osv"))
	if err != nil {
		t.Fatal(err)
	}
	zpath := filepath.Join(t.TempDir(), "all.zip")
	zf, _ := os.Create(zpath)
	zw := zip.NewWriter(zf)
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, _ := os.ReadFile(fixture("osv", e.Name()))
		w, _ := zw.Create(e.Name())
		w.Write(b)
		os.WriteFile(filepath.Join(sub, e.Name()), b, 0o644)
		n++
	}
	withdrawn := `{"id":"GHSA-xxxx-xxxx-xxxx","withdrawn":"2021-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"versions":["4.17.15"]}]}`
	w, _ := zw.Create("GHSA-xxxx-xxxx-xxxx.json")
	w.Write([]byte(withdrawn))
	zw.Close()
	zf.Close()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not json"), 0o644)

	for _, path := range []string{dir, zpath} {
		db, err := Load(path)
		if err != nil {
			t.Fatalf("Load(%s): %v", path, err)
		}
		if len(db.Advisories) != n {
			t.Errorf("Load(%s): %d advisories, want %d", path, len(db.Advisories), n)
		}
		if len(db.lookup("npm", "lodash")) != n {
			t.Errorf("Load(%s): lodash index has %d", path, len(db.lookup("npm", "lodash")))
		}
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("Load of a missing path succeeded")
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "x.json"), []byte("{"), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "x.json") {
		t.Errorf("Load of bad JSON: %v", err)
	}
}
