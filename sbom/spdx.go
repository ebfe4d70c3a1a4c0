package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/github/go-spdx/v2/spdxexp"
)

// SPDXMediaType is the media type of an SPDX JSON document.
const SPDXMediaType = "application/spdx+json"

// SPDXDocument is an SPDX 2.3 document, the subset SPDX writes.
type SPDXDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      SPDXCreationInfo   `json:"creationInfo"`
	Packages          []SPDXPackage      `json:"packages"`
	Relationships     []SPDXRelationship `json:"relationships"`
}

// SPDXCreationInfo says when and by what a document was made.
type SPDXCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

// SPDXPackage is one package (or the image itself).
type SPDXPackage struct {
	SPDXID                string            `json:"SPDXID"`
	Name                  string            `json:"name"`
	VersionInfo           string            `json:"versionInfo,omitempty"`
	DownloadLocation      string            `json:"downloadLocation"`
	FilesAnalyzed         bool              `json:"filesAnalyzed"`
	Checksums             []SPDXChecksum    `json:"checksums,omitempty"`
	LicenseConcluded      string            `json:"licenseConcluded"`
	LicenseDeclared       string            `json:"licenseDeclared"`
	CopyrightText         string            `json:"copyrightText"`
	ExternalRefs          []SPDXExternalRef `json:"externalRefs,omitempty"`
	PrimaryPackagePurpose string            `json:"primaryPackagePurpose,omitempty"`
}

// SPDXChecksum is a package checksum (algorithm as SPDX names it).
type SPDXChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

// SPDXExternalRef is a package's purl.
type SPDXExternalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

// SPDXRelationship links two SPDX elements.
type SPDXRelationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}

const noAssertion = "NOASSERTION"

var spdxAlgos = map[cdx.HashAlgorithm]string{
	cdx.HashAlgoSHA1: "SHA1", cdx.HashAlgoSHA256: "SHA256", cdx.HashAlgoSHA384: "SHA384", cdx.HashAlgoSHA512: "SHA512",
}

// SPDX converts a CycloneDX SBOM made by Generate to an SPDX 2.3 document
// with the same packages: the image (metadata.component) DESCRIBED by the
// document and CONTAINING every component, each with its purl, hashes and
// declared license (an SPDX expression when it is one, else NOASSERTION).
// It is deterministic: the namespace derives from the SBOM's serial number.
func SPDX(bom *cdx.BOM) (*SPDXDocument, error) {
	if bom.Metadata == nil || bom.Metadata.Component == nil {
		return nil, fmt.Errorf("sbom: SPDX: the CycloneDX SBOM has no metadata.component (the image)")
	}
	img := bom.Metadata.Component
	doc := &SPDXDocument{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name:              img.Name,
		DocumentNamespace: "https://immutable.dev/spdx/" + strings.TrimPrefix(bom.SerialNumber, "urn:uuid:"),
		CreationInfo:      SPDXCreationInfo{Created: bom.Metadata.Timestamp, Creators: []string{"Tool: " + ToolName}},
	}
	root := spdxPackage(*img, "SPDXRef-image")
	root.PrimaryPackagePurpose = "CONTAINER"
	doc.Packages = append(doc.Packages, root)
	doc.Relationships = append(doc.Relationships, SPDXRelationship{"SPDXRef-DOCUMENT", "DESCRIBES", root.SPDXID})
	if bom.Components != nil {
		for _, c := range *bom.Components {
			p := spdxPackage(c, spdxRef(c.PackageURL))
			doc.Packages = append(doc.Packages, p)
			doc.Relationships = append(doc.Relationships, SPDXRelationship{root.SPDXID, "CONTAINS", p.SPDXID})
		}
	}
	return doc, nil
}

// SPDXJSON generates the SPDX JSON of bom (indented, trailing newline).
func SPDXJSON(bom *cdx.BOM) ([]byte, error) {
	doc, err := SPDX(bom)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("sbom: encoding SPDX: %w", err)
	}
	return b.Bytes(), nil
}

func spdxPackage(c cdx.Component, id string) SPDXPackage {
	p := SPDXPackage{
		SPDXID: id, Name: c.Name, VersionInfo: c.Version, DownloadLocation: noAssertion,
		LicenseConcluded: noAssertion, LicenseDeclared: spdxLicense(c.Licenses), CopyrightText: noAssertion,
	}
	if c.PackageURL != "" {
		p.ExternalRefs = []SPDXExternalRef{{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl", ReferenceLocator: c.PackageURL}}
	}
	if c.Hashes != nil {
		for _, h := range *c.Hashes {
			if a, ok := spdxAlgos[h.Algorithm]; ok {
				p.Checksums = append(p.Checksums, SPDXChecksum{Algorithm: a, ChecksumValue: h.Value})
			}
		}
	}
	return p
}

// spdxRef is a valid, unique SPDX id for a purl: SPDXRef-Package- plus a
// hash of it (purls have characters SPDX ids may not).
func spdxRef(purl string) string {
	h := sha256.Sum256([]byte(purl))
	return "SPDXRef-Package-" + hex.EncodeToString(h[:8])
}

// spdxLicense is the declared license as an SPDX expression, NOASSERTION
// when there is none or it is not a valid expression.
func spdxLicense(ls *cdx.Licenses) string {
	if ls == nil || len(*ls) == 0 {
		return noAssertion
	}
	var parts []string
	for _, l := range *ls {
		switch {
		case l.Expression != "":
			parts = append(parts, l.Expression)
		case l.License != nil && l.License.ID != "":
			parts = append(parts, l.License.ID)
		default:
			return noAssertion
		}
	}
	expr := strings.Join(parts, " AND ")
	if len(parts) > 1 {
		expr = "(" + strings.Join(parts, ") AND (") + ")"
	}
	if ok, _ := spdxexp.ValidateLicenses([]string{expr}); !ok {
		return noAssertion
	}
	return expr
}
