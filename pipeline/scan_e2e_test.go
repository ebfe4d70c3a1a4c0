package pipeline_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
	"dagger/immutable/sbom"
)

// TestScanGate builds the vulnerable fixture (lodash 4.17.15) and the clean
// one: the scan of the first fails naming GHSA-p6mc-m468-83gw and lodash
// 4.17.15, the second passes; each SBOM is the same bytes twice and lists
// both npm and Debian packages.
func TestScanGate(t *testing.T) {
	c := testenv.Client(t)
	db := testenv.Path("fixtures", "osv")
	for _, tc := range []struct {
		fixture string
		fail    bool
	}{{"vulnerable", true}, {"app", false}} {
		t.Run(tc.fixture, func(t *testing.T) {
			b, img, err := pipeline.BuildImage(ctx(t), c, options(c, testenv.Path("fixtures", tc.fixture), "1.0.0"), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			bom, err := pipeline.SBOM(b, img, "")
			if err != nil {
				t.Fatal(err)
			}
			again, err := pipeline.SBOM(b, img, "")
			if err != nil || !bytes.Equal(bom, again) {
				t.Errorf("SBOM of the same image differs (err %v)", err)
			}
			for _, want := range []string{`"purl": "pkg:npm/ms@2.1.3"`, `pkg:deb/debian/libc6@`, `distro=debian-12`, img.Digest[len("sha256:"):]} {
				if !strings.Contains(string(bom), want) {
					t.Errorf("SBOM lacks %s", want)
				}
			}
			report, err := pipeline.Scan(bom, db, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Log(report.String())
			err = report.Err()
			if !tc.fail {
				if err != nil {
					t.Fatalf("clean fixture: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "GHSA-p6mc-m468-83gw") || !strings.Contains(err.Error(), "lodash 4.17.15") {
				t.Fatalf("scan err = %v, want one naming GHSA-p6mc-m468-83gw and lodash 4.17.15", err)
			}
		})
	}
}

// TestReleaseScan: a release of the vulnerable fixture stops at gate scan
// and publishes nothing; a release of the clean fixture publishes, attaches
// the SBOM (retrievable by the image digest) and records the SBOM digest
// and the scan summary.
func TestReleaseScan(t *testing.T) {
	c := testenv.Client(t)
	repo := fmt.Sprintf("%s/e2e-scan-%d", testenv.Registry(t), time.Now().UnixNano())
	release := func(fixture string) (*pipeline.ReleaseReport, error) {
		return pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{
			Build: options(c, testenv.Path("fixtures", fixture), "1.0.0"), Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir(),
			AdvisoryDB: testenv.Path("fixtures", "osv"),
		})
	}

	t.Run("vulnerable publishes nothing", func(t *testing.T) {
		r, err := release("vulnerable")
		if err == nil || !strings.Contains(err.Error(), "gate scan failed") || !strings.Contains(err.Error(), "nothing was published") {
			t.Fatalf("release err = %v, want gate scan failed", err)
		}
		var out strings.Builder
		r.Format(&out)
		for _, want := range []string{"GHSA-p6mc-m468-83gw", "lodash", "4.17.15", "4.17.19"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("release report lacks %s:\n%s", want, out.String())
			}
		}
		if tags := testenv.Tags(t, repo); len(tags) != 0 {
			t.Errorf("registry has tags after a blocked release: %v", tags)
		}
	})

	t.Run("clean publishes with SBOM", func(t *testing.T) {
		r, err := release("app")
		if err != nil {
			t.Fatal(err)
		}
		if r.SBOMDigest == "" || r.Result.Record.SBOMDigest != r.SBOMDigest {
			t.Errorf("SBOM digest: report %q, record %q", r.SBOMDigest, r.Result.Record.SBOMDigest)
		}
		if s := r.Result.Record.Scan; s == nil || s.Advisories == 0 || s.Packages == 0 || len(s.Findings) != 0 || s.FailOn != "HIGH" {
			t.Errorf("record scan summary = %+v", s)
		}
		bom, err := pipeline.FetchSBOM(ctx(t), pipeline.Registry{Repo: repo}, r.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(bom), `"pkg:npm/ms@2.1.3"`) {
			t.Errorf("fetched SBOM lacks ms")
		}
		tag, _ := sbom.Tag(r.Digest)
		if got := testenv.Tags(t, repo)[tag]; got != r.SBOMDigest {
			t.Errorf("tag %s = %s, want %s", tag, got, r.SBOMDigest)
		}
		h, err := pipeline.Releases(ctx(t), pipeline.Registry{Repo: repo})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Releases) != 1 || h.Releases[0].Record.SBOMDigest != r.SBOMDigest {
			t.Errorf("Releases: %+v", h.Releases)
		}
	})
}
