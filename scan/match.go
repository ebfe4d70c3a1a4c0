package scan

import (
	"fmt"
	"sort"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/Masterminds/semver/v3"
	"github.com/package-url/packageurl-go"

	"dagger/immutable/sbom"
)

// DefaultFailOn is the threshold when Options.FailOn is empty.
const DefaultFailOn = High

// Options configure a scan.
type Options struct {
	// FailOn is the lowest severity that makes Report.Err fail; Never
	// never fails. The zero value (Unknown) means DefaultFailOn (High).
	// ParseFailOn reads a --fail-on flag.
	FailOn Severity
	// FailOnUnknown makes findings of every severity, UNKNOWN included,
	// fail the scan (FailOn is then ignored).
	FailOnUnknown bool
}

// pkg is one package of the SBOM in OSV terms.
type pkg struct {
	ecosystem string // "npm" or "Debian"
	release   string // Debian release number ("12"), "" for any
	name      string
	version   string
	purl      string
	// source names the Debian source package and its version.
	source, sourceVersion string
}

// packages reads the SBOM's npm and Debian components.
func packages(bom *cdx.BOM) []pkg {
	if bom == nil || bom.Components == nil {
		return nil
	}
	var out []pkg
	for _, c := range *bom.Components {
		p, err := packageurl.FromString(c.PackageURL)
		if err != nil || p.Version == "" {
			continue
		}
		switch p.Type {
		case packageurl.TypeNPM:
			name := p.Name
			if p.Namespace != "" {
				name = p.Namespace + "/" + p.Name
			}
			out = append(out, pkg{ecosystem: "npm", name: name, version: p.Version, purl: c.PackageURL})
		case packageurl.TypeDebian:
			if p.Namespace != "debian" {
				continue
			}
			q := p.Qualifiers.Map()
			rel := strings.TrimPrefix(q["distro"], "debian-")
			x := pkg{ecosystem: "Debian", release: rel, name: p.Name, version: p.Version, purl: c.PackageURL, source: q["upstream"]}
			if c.Properties != nil {
				for _, pr := range *c.Properties {
					switch pr.Name {
					case sbom.PropertySource:
						x.source = pr.Value
					case sbom.PropertySourceVersion:
						x.sourceVersion = pr.Value
					}
				}
			}
			out = append(out, x)
		}
	}
	return out
}

// Scan matches the SBOM's packages against db.
func Scan(bom *cdx.BOM, db *DB, o Options) *Report {
	failOn := o.FailOn
	if failOn == Unknown {
		failOn = DefaultFailOn
	}
	r := &Report{DB: db.Source, Advisories: len(db.Advisories), FailOn: failOn, FailOnUnknown: o.FailOnUnknown}
	if bom != nil && bom.Metadata != nil && bom.Metadata.Component != nil {
		r.Image = bom.Metadata.Component.Name
		if bom.Metadata.Component.Version != "" {
			r.Image += " " + bom.Metadata.Component.Version
		}
	}
	seen := map[string]bool{}
	pkgs := packages(bom)
	r.Packages = len(pkgs)
	for _, p := range pkgs {
		type candidate struct{ name, version string }
		cands := []candidate{{p.name, p.version}}
		if p.source != "" && p.source != p.name {
			v := p.sourceVersion
			if v == "" {
				v = p.version
			}
			cands = append(cands, candidate{p.source, v})
		}
		for _, cand := range cands {
			for _, a := range db.lookup(p.ecosystem, cand.name) {
				for i := range a.Affected {
					af := &a.Affected[i]
					if af.Package.Name != cand.name || !ecosystemMatches(p, af.Package.Ecosystem) {
						continue
					}
					hit, fixed := affects(af, p.ecosystem, cand.version)
					key := a.ID + " " + p.purl
					if !hit || seen[key] {
						continue
					}
					seen[key] = true
					r.Findings = append(r.Findings, Finding{
						ID: a.ID, Aliases: a.Aliases, Summary: a.Summary,
						Package: p.name, Ecosystem: af.Package.Ecosystem, Purl: p.purl,
						Installed: p.version, Fixed: fixed, Severity: severityOf(a, af),
					})
				}
			}
		}
	}
	sort.Slice(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Purl < b.Purl
	})
	return r
}

// ecosystemMatches reports whether an advisory's ecosystem ("npm",
// "Debian", "Debian:12") covers p.
func ecosystemMatches(p pkg, eco string) bool {
	base, release, _ := strings.Cut(eco, ":")
	if base != p.ecosystem {
		return false
	}
	return release == "" || p.release == "" || release == p.release
}

// compareFunc returns the ecosystem's version ordering.
func compareFunc(ecosystem, rangeType string) func(a, b string) (int, bool) {
	if ecosystem == "Debian" && rangeType == "ECOSYSTEM" {
		return func(a, b string) (int, bool) { return CompareDebian(a, b), true }
	}
	return func(a, b string) (int, bool) {
		va, err := semver.NewVersion(a)
		if err != nil {
			return 0, false
		}
		vb, err := semver.NewVersion(b)
		if err != nil {
			return 0, false
		}
		return va.Compare(vb), true
	}
}

// affects reports whether version is affected according to af, and the
// lowest fixed version above it ("" if none is known).
func affects(af *Affected, ecosystem, version string) (bool, string) {
	hit := false
	for _, v := range af.Versions {
		if v == version {
			hit = true
		}
	}
	var fixed []string
	for _, rg := range af.Ranges {
		if rg.Type != "SEMVER" && rg.Type != "ECOSYSTEM" {
			continue
		}
		cmp := compareFunc(ecosystem, rg.Type)
		in, fx := inRange(rg.Events, version, cmp)
		hit = hit || in
		fixed = append(fixed, fx...)
	}
	if !hit {
		return false, ""
	}
	cmp := compareFunc(ecosystem, "ECOSYSTEM")
	sort.Slice(fixed, func(i, j int) bool { c, _ := cmp(fixed[i], fixed[j]); return c < 0 })
	if len(fixed) > 0 {
		return true, fixed[0]
	}
	return true, ""
}

// inRange evaluates one OSV range: with the events sorted by version, the
// last event that applies to version (introduced or fixed at or below it,
// last_affected below it) decides. It also returns the fixed versions
// above version.
func inRange(events []Event, version string, cmp func(a, b string) (int, bool)) (bool, []string) {
	type ev struct {
		kind, v string
	}
	var evs []ev
	for _, e := range events {
		switch {
		case e.Introduced != "":
			evs = append(evs, ev{"introduced", e.Introduced})
		case e.Fixed != "":
			evs = append(evs, ev{"fixed", e.Fixed})
		case e.LastAffected != "":
			evs = append(evs, ev{"last_affected", e.LastAffected})
		}
	}
	less := func(a, b string) bool {
		if a == "0" || b == "0" {
			return a == "0" && b != "0"
		}
		c, _ := cmp(a, b)
		return c < 0
	}
	sort.SliceStable(evs, func(i, j int) bool { return less(evs[i].v, evs[j].v) })
	affected := false
	var fixed []string
	for _, e := range evs {
		c := -1 // event version vs installed version
		if e.v != "0" {
			var ok bool
			if c, ok = cmp(e.v, version); !ok {
				continue // unparsable event: cannot place it
			}
		}
		switch e.kind {
		case "introduced":
			if c <= 0 {
				affected = true
			}
		case "fixed":
			if c <= 0 {
				affected = false
			} else {
				fixed = append(fixed, e.v)
			}
		case "last_affected":
			if c < 0 {
				affected = false
			}
		}
	}
	return affected, fixed
}

// String describes the package of a finding: "lodash 4.17.15".
func (f Finding) String() string {
	s := fmt.Sprintf("%s (%s %s %s", f.ID, f.Severity, f.Package, f.Installed)
	if f.Fixed != "" {
		s += ", fixed in " + f.Fixed
	}
	return s + ")"
}
