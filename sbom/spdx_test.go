package sbom

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/package-url/packageurl-go"
)

var spdxIDRe = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.\-]+$`)

// hexLen is the length of a checksum value per SPDX algorithm.
var hexLen = map[string]int{"SHA1": 40, "SHA256": 64, "SHA384": 96, "SHA512": 128}

// validateSPDX checks an SPDX 2.3 JSON document against the spec's rules
// for the fields we write (clause numbers of SPDX 2.3): document creation
// information (6), packages (7) and relationships (11).
func validateSPDX(b []byte) error {
	var d SPDXDocument
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return fmt.Errorf("decoding: %w", err)
	}
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if d.SPDXVersion != "SPDX-2.3" {
		fail("6.1 spdxVersion %q", d.SPDXVersion)
	}
	if d.DataLicense != "CC0-1.0" {
		fail("6.2 dataLicense %q", d.DataLicense)
	}
	if d.SPDXID != "SPDXRef-DOCUMENT" {
		fail("6.3 SPDXID %q", d.SPDXID)
	}
	if d.Name == "" {
		fail("6.4 name is empty")
	}
	if u, err := url.Parse(d.DocumentNamespace); err != nil || !u.IsAbs() || strings.Contains(d.DocumentNamespace, "#") {
		fail("6.5 documentNamespace %q is not an absolute URI without #", d.DocumentNamespace)
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", d.CreationInfo.Created); err != nil {
		fail("6.9 created %q: %v", d.CreationInfo.Created, err)
	}
	if len(d.CreationInfo.Creators) == 0 {
		fail("6.8 no creators")
	}
	for _, c := range d.CreationInfo.Creators {
		if !strings.HasPrefix(c, "Tool: ") && !strings.HasPrefix(c, "Organization: ") && !strings.HasPrefix(c, "Person: ") {
			fail("6.8 creator %q", c)
		}
	}
	ids := map[string]bool{d.SPDXID: true}
	for _, p := range d.Packages {
		if !spdxIDRe.MatchString(p.SPDXID) || ids[p.SPDXID] {
			fail("7.2 package SPDXID %q is invalid or not unique", p.SPDXID)
		}
		ids[p.SPDXID] = true
		if p.Name == "" || p.DownloadLocation == "" || p.CopyrightText == "" {
			fail("7.1/7.7/7.17 package %s lacks name, downloadLocation or copyrightText", p.SPDXID)
		}
		for _, l := range []string{p.LicenseConcluded, p.LicenseDeclared} {
			if l == "NOASSERTION" || l == "NONE" {
				continue
			}
			if ok, bad := spdxexp.ValidateLicenses([]string{l}); !ok {
				fail("7.13/7.15 package %s license %q is not an SPDX expression: %v", p.SPDXID, l, bad)
			}
		}
		for _, c := range p.Checksums {
			if n, ok := hexLen[c.Algorithm]; !ok || len(c.ChecksumValue) != n {
				fail("7.10 package %s checksum %s %q", p.SPDXID, c.Algorithm, c.ChecksumValue)
			}
		}
		for _, r := range p.ExternalRefs {
			if r.ReferenceCategory != "PACKAGE-MANAGER" || r.ReferenceType != "purl" {
				fail("7.21 package %s external ref %+v", p.SPDXID, r)
			}
			if _, err := packageurl.FromString(r.ReferenceLocator); err != nil {
				fail("7.21 package %s purl %q: %v", p.SPDXID, r.ReferenceLocator, err)
			}
		}
	}
	describes := 0
	for _, r := range d.Relationships {
		if !ids[r.SPDXElementID] || !ids[r.RelatedSPDXElement] {
			fail("11.1 relationship %+v names an unknown element", r)
		}
		if r.SPDXElementID == d.SPDXID && r.RelationshipType == "DESCRIBES" {
			describes++
		}
	}
	if describes == 0 {
		fail("6 the document DESCRIBES nothing")
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid SPDX 2.3: %s", strings.Join(errs, "; "))
	}
	return nil
}

// validateCycloneDX checks the CycloneDX JSON we write: it decodes with
// cyclonedx-go, is spec 1.6, every component has a unique bom-ref and a
// purl that parses, and hashes are hex of the algorithm's length.
func validateCycloneDX(b []byte) error {
	bom, err := Decode(b)
	if err != nil {
		return err
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != cdx.SpecVersion1_6 {
		return fmt.Errorf("bomFormat %q specVersion %s", bom.BOMFormat, bom.SpecVersion)
	}
	if bom.Metadata == nil || bom.Metadata.Component == nil {
		return fmt.Errorf("no metadata.component")
	}
	refs := map[string]bool{}
	lens := map[cdx.HashAlgorithm]int{cdx.HashAlgoSHA1: 40, cdx.HashAlgoSHA256: 64, cdx.HashAlgoSHA384: 96, cdx.HashAlgoSHA512: 128}
	for _, c := range append([]cdx.Component{*bom.Metadata.Component}, *bom.Components...) {
		if c.BOMRef == "" || refs[c.BOMRef] {
			return fmt.Errorf("component %q: bom-ref %q empty or not unique", c.Name, c.BOMRef)
		}
		refs[c.BOMRef] = true
		if _, err := packageurl.FromString(c.PackageURL); err != nil {
			return fmt.Errorf("component %q: purl %q: %v", c.Name, c.PackageURL, err)
		}
		if c.Hashes != nil {
			for _, h := range *c.Hashes {
				if len(h.Value) != lens[h.Algorithm] {
					return fmt.Errorf("component %q: %s hash %q", c.Name, h.Algorithm, h.Value)
				}
			}
		}
	}
	return nil
}

func TestSPDXFromSameComponents(t *testing.T) {
	cdxJSON, bom := generate(t, testImage(t, nil))
	if err := validateCycloneDX(cdxJSON); err != nil {
		t.Fatalf("CycloneDX: %v\n%s", err, cdxJSON)
	}
	b, err := SPDXJSON(bom)
	if err != nil {
		t.Fatal(err)
	}
	if err := validateSPDX(b); err != nil {
		t.Fatalf("SPDX: %v\n%s", err, b)
	}
	var doc SPDXDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, c := range *bom.Components {
		want = append(want, c.PackageURL)
	}
	for _, p := range doc.Packages[1:] {
		got = append(got, p.ExternalRefs[0].ReferenceLocator)
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) < 4 {
		t.Errorf("SPDX packages = %v, want the CycloneDX components %v", got, want)
	}
	if img := doc.Packages[0]; img.PrimaryPackagePurpose != "CONTAINER" || len(img.Checksums) != 1 || img.Checksums[0].ChecksumValue != (*bom.Metadata.Component.Hashes)[0].Value {
		t.Errorf("image package = %+v", doc.Packages[0])
	}
	licenses := map[string]string{}
	for _, p := range doc.Packages {
		licenses[p.Name] = p.LicenseDeclared
	}
	for name, want := range map[string]string{"ms": "MIT", "@scope/pkg": "(MIT OR Apache-2.0)", "a": "NOASSERTION"} {
		if licenses[name] != want {
			t.Errorf("license of %s = %q, want %q", name, licenses[name], want)
		}
	}
	again, _ := SPDXJSON(bom)
	if string(again) != string(b) {
		t.Error("SPDX of the same SBOM differs between two runs")
	}
}

// TestValidatorsCatchBrokenDocuments shows the validators can fail.
func TestValidatorsCatchBrokenDocuments(t *testing.T) {
	_, bom := generate(t, testImage(t, nil))
	doc, err := SPDX(bom)
	if err != nil {
		t.Fatal(err)
	}
	doc.Packages[1].SPDXID = "SPDXRef-has space"
	doc.Packages[2].LicenseDeclared = "not a license"
	doc.Relationships = append(doc.Relationships, SPDXRelationship{"SPDXRef-image", "CONTAINS", "SPDXRef-missing"})
	b, _ := json.Marshal(doc)
	err = validateSPDX(b)
	for _, want := range []string{"7.2", "7.13", "11.1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validateSPDX(broken) = %v, want a %s finding", err, want)
		}
	}
	(*bom.Components)[0].PackageURL = "not-a-purl"
	bad, _ := JSON(bom)
	if err := validateCycloneDX(bad); err == nil {
		t.Error("validateCycloneDX accepted a component without a valid purl")
	}
}
