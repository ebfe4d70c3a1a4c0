package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"dagger.io/dagger"

	"dagger/immutable/attest"
	"dagger/immutable/publish"
	"dagger/immutable/sbom"
	"dagger/immutable/scan"
)

// SBOM returns the CycloneDX JSON SBOM of a normalized image: the npm
// production dependencies of b's lockfile (package-lock.json, yarn.lock or
// pnpm-lock.yaml) and the base's Debian packages.
// name is the image name it records (e.g. the repository); "" uses the
// app's package.json name. The same image gives the same bytes.
func SBOM(b *Build, img *Image, name string) ([]byte, error) {
	if name == "" && b.App != nil {
		name = b.App.Name
	}
	bom, err := sbom.Generate(img.Image, b.Deps, sbom.Options{Name: name, Created: b.Options.Epoch})
	if err != nil {
		return nil, err
	}
	return sbom.JSON(bom)
}

// Scan matches an SBOM against the OSV advisory database at db (a
// directory or .zip of OSV JSON) with the threshold failOn ("" is high).
// The error is for unusable inputs; the report's Err says whether the
// image passes.
func Scan(bomJSON []byte, db, failOn string) (*scan.Report, error) {
	o, err := scan.ParseFailOn(failOn)
	if err != nil {
		return nil, err
	}
	bom, err := sbom.Decode(bomJSON)
	if err != nil {
		return nil, err
	}
	d, err := scan.Load(db)
	if err != nil {
		return nil, err
	}
	return scan.Scan(bom, d, o), nil
}

// scanGate is the release's "scan" gate: the SBOM always (it is attached
// after publishing), the scan when an advisory database is given. A
// multi-platform image gets both per platform; bom, artifact and report
// are the native platform's.
type scanGate struct {
	bom      []byte
	artifact *sbom.Artifact
	report   *scan.Report
	gate     publish.Gate
	// platforms are every platform's SBOM and scan, the native one first.
	platforms []platformBOM
}

// platformBOM is one platform image's SBOM and scan.
type platformBOM struct {
	platform string
	img      *Image
	bom      []byte
	artifact *sbom.Artifact
	report   *scan.Report
}

func runScanGate(b *Build, img *Image, o ReleaseOptions) *scanGate {
	t0 := time.Now()
	s := &scanGate{}
	multi := len(img.Variants) > 1
	var summaries []string
	err := func() error {
		for _, pi := range img.PlatformImages() {
			p := platformBOM{platform: pi.Platform, img: pi}
			var err error
			if p.bom, err = SBOM(b, pi, o.Registry.Repo); err != nil {
				return err
			}
			// The legacy .sbom tag names the image the SBOM describes: the
			// platform's manifest for a multi-platform release.
			d := img.Digest
			if multi {
				d = pi.Digest
			}
			if p.artifact, err = sbom.NewArtifact(d, p.bom); err != nil {
				return err
			}
			s.platforms = append(s.platforms, p)
		}
		s.bom, s.artifact = s.platforms[0].bom, s.platforms[0].artifact
		if o.AdvisoryDB == "" {
			return nil
		}
		var failed error
		for i := range s.platforms {
			p := &s.platforms[i]
			var err error
			if p.report, err = Scan(p.bom, o.AdvisoryDB, o.FailOn); err != nil {
				return err
			}
			sum := p.report.Summary()
			if multi {
				sum = p.platform + ": " + sum
			}
			summaries = append(summaries, sum)
			if err := p.report.Err(); err != nil && failed == nil {
				failed = err
				if multi {
					failed = fmt.Errorf("%s: %w", p.platform, err)
				}
			}
		}
		s.report = s.platforms[0].report
		return failed
	}()
	s.gate = gate("scan", time.Since(t0), err)
	switch {
	case err == nil && s.report == nil:
		s.gate.Skipped = true
		s.gate.Detail = "skipped: no advisory database given (SBOM generated)"
	case err == nil:
		s.gate.Detail = strings.Join(summaries, "; ")
	}
	return s
}

// summary is the release record's view of the scan.
func (s *scanGate) summary() *publish.ScanSummary {
	r := s.report
	if r == nil {
		return nil
	}
	sum := &publish.ScanSummary{DB: r.DB, Advisories: r.Advisories, Packages: r.Packages, FailOn: r.FailOn.String(), Counts: r.Counts()}
	if r.FailOnUnknown {
		sum.FailOn = scan.Unknown.String()
	}
	for _, f := range r.Findings {
		sum.Findings = append(sum.Findings, fmt.Sprintf("%s %s %s %s", f.ID, f.Package, f.Installed, f.Severity))
	}
	// Another platform's findings are recorded when they differ from the
	// native platform's (its Debian packages are other builds).
	for _, p := range s.platforms[min(1, len(s.platforms)):] {
		if p.report == nil {
			continue
		}
		for _, f := range p.report.Findings {
			line := fmt.Sprintf("%s %s %s %s", f.ID, f.Package, f.Installed, f.Severity)
			if !slices.Contains(sum.Findings, line) {
				sum.Findings = append(sum.Findings, p.platform+": "+line)
			}
		}
	}
	return sum
}

// BuildSBOM builds the app and returns its image's CycloneDX JSON SBOM
// (see SBOM): the sbom flow of both doors.
func BuildSBOM(ctx context.Context, c *dagger.Client, o BuildOptions, workDir string) ([]byte, error) {
	b, img, err := BuildImage(ctx, c, o, workDir)
	if err != nil {
		return nil, err
	}
	return SBOM(b, img, "")
}

// ScanApp builds the app, generates its SBOM and matches it against the
// OSV advisory database db (a directory or .zip of OSV JSON) with the
// threshold failOn ("" is high): the scan flow of both doors. The error is
// for unusable inputs; the report's Err says whether the image passes.
func ScanApp(ctx context.Context, c *dagger.Client, o BuildOptions, workDir, db, failOn string) (*scan.Report, error) {
	if db == "" {
		return nil, fmt.Errorf("scan: no advisory database: pass --advisory-db (a directory or .zip of OSV JSON)")
	}
	bom, err := BuildSBOM(ctx, c, o, workDir)
	if err != nil {
		return nil, err
	}
	return Scan(bom, db, failOn)
}

// FetchSBOM reads the CycloneDX SBOM attached to digest in reg's
// repository: the OCI 1.1 referrer (referrers API or fallback tag), else
// the sha256-<hex>.sbom tag of releases made before referrers.
func FetchSBOM(ctx context.Context, reg Registry, digest string) ([]byte, error) {
	t, err := reg.target(ctx)
	if err != nil {
		return nil, err
	}
	r, ropts := t.Repository(), t.Remote()
	a, err := attest.List(ctx, r, digest, ropts...)
	if err != nil {
		return nil, err
	}
	if refs := a.Of(attest.ArtifactCycloneDX); len(refs) > 0 {
		return a.Fetch(refs[0], attest.ArtifactCycloneDX, ropts...)
	}
	return sbom.Fetch(ctx, r, digest, ropts...)
}
