package sbom

import (
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"

	"dagger/immutable/lockfile"
)

// npmComponents lists the production packages of a lockfile graph.
func npmComponents(g *lockfile.Graph) []cdx.Component {
	var out []cdx.Component
	for _, p := range g.Production() {
		ns, base := "", p.Name
		if strings.HasPrefix(p.Name, "@") {
			ns, base, _ = strings.Cut(p.Name, "/")
		}
		purl := packageurl.NewPackageURL(packageurl.TypeNPM, ns, base, p.Version, nil, "").ToString()
		c := cdx.Component{
			BOMRef:     purl,
			Type:       cdx.ComponentTypeLibrary,
			Name:       p.Name,
			Version:    p.Version,
			PackageURL: purl,
		}
		if hs := sriHashes(p.Integrity); len(hs) > 0 {
			c.Hashes = &hs
		}
		if lic := npmLicense(p.License); lic != nil {
			c.Licenses = lic
		}
		out = append(out, c)
	}
	return out
}

var sriAlgos = map[string]cdx.HashAlgorithm{
	"sha512": cdx.HashAlgoSHA512,
	"sha384": cdx.HashAlgoSHA384,
	"sha256": cdx.HashAlgoSHA256,
	"sha1":   cdx.HashAlgoSHA1,
}

// sriHashes converts a Subresource Integrity string ("sha512-<base64>",
// possibly several separated by spaces) to hex hashes; unknown algorithms
// and malformed values are skipped.
func sriHashes(integrity string) []cdx.Hash {
	var out []cdx.Hash
	for _, f := range strings.Fields(integrity) {
		algo, b64, ok := strings.Cut(f, "-")
		a, known := sriAlgos[algo]
		if !ok || !known {
			continue
		}
		b64, _, _ = strings.Cut(b64, "?") // SRI options
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		out = append(out, cdx.Hash{Algorithm: a, Value: hex.EncodeToString(raw)})
	}
	return out
}

var spdxID = regexp.MustCompile(`^[A-Za-z0-9.+-]+$`)

// npmLicense turns a lockfile's license into a CycloneDX license: an SPDX
// expression when it has operators, an id when it looks like one, else a
// name.
func npmLicense(s string) *cdx.Licenses {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil
	case strings.Contains(s, " OR ") || strings.Contains(s, " AND ") || strings.Contains(s, " WITH "):
		return &cdx.Licenses{{Expression: s}}
	case spdxID.MatchString(s):
		return &cdx.Licenses{{License: &cdx.License{ID: s}}}
	default:
		return &cdx.Licenses{{License: &cdx.License{Name: s}}}
	}
}
