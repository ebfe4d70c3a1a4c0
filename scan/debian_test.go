package scan

import (
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"dagger/immutable/sbom"
)

// memDB indexes advisories given in memory.
func memDB(advs ...*Advisory) *DB {
	db := &DB{Source: "memory", Advisories: advs}
	db.index()
	return db
}

func TestScanDebianAndVersions(t *testing.T) {
	props := []cdx.Property{{Name: sbom.PropertySource, Value: "glibc"}}
	bom := &cdx.BOM{Components: &[]cdx.Component{
		{Name: "libc6", Version: "2.36-9+deb12u7", PackageURL: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12&upstream=glibc", Properties: &props},
		{Name: "tzdata", Version: "2025b-0+deb12u1", PackageURL: "pkg:deb/debian/tzdata@2025b-0%2Bdeb12u1?arch=all&distro=debian-12"},
		{Name: "left-pad", Version: "1.0.0", PackageURL: "pkg:npm/left-pad@1.0.0"},
	}}
	deb := func(id, eco, name, fixed string, sev ...SeverityScore) *Advisory {
		return &Advisory{ID: id, Severity: sev, Affected: []Affected{{
			Package: Package{Ecosystem: eco, Name: name},
			Ranges:  []Range{{Type: "ECOSYSTEM", Events: []Event{{Introduced: "0"}, {Fixed: fixed}}}},
		}}}
	}
	db := memDB(
		deb("DEBIAN-CVE-1", "Debian:12", "glibc", "2.36-9+deb12u8", SeverityScore{"CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}),
		deb("DEBIAN-CVE-2", "Debian:12", "glibc", "2.36-9+deb12u4"),   // already fixed
		deb("DEBIAN-CVE-3", "Debian:11", "glibc", "2.31-13+deb11u99"), // other release
		deb("DEBIAN-CVE-4", "Debian:12", "tzdata", "2025b-0+deb12u2"), // no severity
		deb("DEBIAN-CVE-5", "Debian:12", "libc6", "2.36-9+deb12u8", SeverityScore{"CVSS_V4", "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}),
		&Advisory{ID: "GHSA-list", DatabaseSpecific: DatabaseSpecific{Severity: "LOW"}, Affected: []Affected{{
			Package: Package{Ecosystem: "npm", Name: "left-pad"}, Versions: []string{"0.9.0", "1.0.0"},
		}}},
	)
	r := Scan(bom, db, Options{})
	got := map[string]Finding{}
	for _, f := range r.Findings {
		got[f.ID] = f
	}
	want := map[string]Severity{"DEBIAN-CVE-1": Critical, "DEBIAN-CVE-4": Unknown, "DEBIAN-CVE-5": High, "GHSA-list": Low}
	for id, sev := range want {
		f, ok := got[id]
		if !ok {
			t.Errorf("missing %s:\n%s", id, r)
			continue
		}
		if f.Severity != sev {
			t.Errorf("%s severity = %s, want %s", id, f.Severity, sev)
		}
	}
	if len(got) != len(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if f := got["DEBIAN-CVE-1"]; f.Package != "libc6" || f.Installed != "2.36-9+deb12u7" || f.Fixed != "2.36-9+deb12u8" {
		t.Errorf("DEBIAN-CVE-1 = %+v", f)
	}
	if n := len(r.Blocking()); n != 2 {
		t.Errorf("%d blocking at HIGH, want 2 (DEBIAN-CVE-1, DEBIAN-CVE-5)", n)
	}
	if r.Findings[0].Severity != Critical {
		t.Errorf("findings not sorted by severity: %v", r.Findings)
	}
}
