package sbom

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
)

// lockfile is the part of package-lock.json (lockfileVersion 2 or 3) that
// the SBOM needs.
type lockfile struct {
	LockfileVersion int                    `json:"lockfileVersion"`
	Packages        map[string]lockPackage `json:"packages"`
}

type lockPackage struct {
	Name      string          `json:"name"`
	Version   string          `json:"version"`
	Integrity string          `json:"integrity"`
	License   json.RawMessage `json:"license"`
	Dev       bool            `json:"dev"`
	Link      bool            `json:"link"`
}

// npmComponents lists the production packages of a lockfile.
func npmComponents(lock []byte) ([]cdx.Component, error) {
	var l lockfile
	if err := json.Unmarshal(lock, &l); err != nil {
		return nil, fmt.Errorf("sbom: package-lock.json: %w", err)
	}
	if l.Packages == nil {
		return nil, fmt.Errorf("sbom: package-lock.json has no \"packages\" (lockfileVersion %d): regenerate it with npm 7 or later", l.LockfileVersion)
	}
	var out []cdx.Component
	for path, p := range l.Packages {
		if path == "" || p.Dev || p.Link || p.Version == "" {
			continue
		}
		name := p.Name
		if name == "" {
			i := strings.LastIndex(path, "node_modules/")
			if i < 0 {
				continue // a workspace package, not an installed dependency
			}
			name = path[i+len("node_modules/"):]
		}
		ns, base := "", name
		if strings.HasPrefix(name, "@") {
			ns, base, _ = strings.Cut(name, "/")
		}
		purl := packageurl.NewPackageURL(packageurl.TypeNPM, ns, base, p.Version, nil, "").ToString()
		c := cdx.Component{
			BOMRef:     purl,
			Type:       cdx.ComponentTypeLibrary,
			Name:       name,
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
	return out, nil
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

// npmLicense turns the lockfile's license (a string, or the legacy
// {"type": …} object) into a CycloneDX license: an SPDX expression when it
// has operators, an id when it looks like one, else a name.
func npmLicense(raw json.RawMessage) *cdx.Licenses {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var obj struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			return nil
		}
		s = obj.Type
	}
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
