package lockfile

import (
	"encoding/json"
	"fmt"
	"strings"
)

type npmLock struct {
	LockfileVersion int                   `json:"lockfileVersion"`
	Packages        map[string]npmPackage `json:"packages"`
}

type npmPackage struct {
	Name      string          `json:"name"`
	Version   string          `json:"version"`
	Integrity string          `json:"integrity"`
	License   json.RawMessage `json:"license"`
	Dev       bool            `json:"dev"`
	Link      bool            `json:"link"`
}

// parseNPM reads package-lock.json's "packages" (lockfileVersion 2 and 3);
// npm marks dev-only packages itself ("dev": true).
func parseNPM(lock []byte) ([]node, error) {
	var l npmLock
	if err := json.Unmarshal(lock, &l); err != nil {
		return nil, err
	}
	if l.Packages == nil {
		return nil, fmt.Errorf("no \"packages\" (lockfileVersion %d): regenerate it with npm 7 or later (`npm install --package-lock-only`)", l.LockfileVersion)
	}
	var out []node
	for path, p := range l.Packages {
		if path == "" || p.Link || p.Version == "" {
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
		out = append(out, node{Package: Package{
			Name: name, Version: p.Version, Integrity: p.Integrity,
			License: npmLicense(p.License), Dev: p.Dev, Paths: []string{path},
		}})
	}
	return out, nil
}

// npmLicense reads a license string or the legacy {"type": …} object.
func npmLicense(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s)
	}
	var obj struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &obj) != nil {
		return ""
	}
	return strings.TrimSpace(obj.Type)
}
