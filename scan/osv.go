package scan

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Advisory is the part of an OSV record the scanner uses.
type Advisory struct {
	ID               string           `json:"id"`
	Aliases          []string         `json:"aliases,omitempty"`
	Summary          string           `json:"summary,omitempty"`
	Withdrawn        string           `json:"withdrawn,omitempty"`
	Affected         []Affected       `json:"affected"`
	Severity         []SeverityScore  `json:"severity,omitempty"`
	DatabaseSpecific DatabaseSpecific `json:"database_specific,omitempty"`
}

// Affected is one affected package of an advisory.
type Affected struct {
	Package  Package         `json:"package"`
	Ranges   []Range         `json:"ranges,omitempty"`
	Versions []string        `json:"versions,omitempty"`
	Severity []SeverityScore `json:"severity,omitempty"`
}

// Package names a package in an ecosystem.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Purl      string `json:"purl,omitempty"`
}

// Range is a version range: type SEMVER, ECOSYSTEM or GIT.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// SeverityScore is a CVSS vector (type CVSS_V2, CVSS_V3, CVSS_V4).
type SeverityScore struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// DatabaseSpecific holds the GitHub advisory database's severity.
type DatabaseSpecific struct {
	Severity string `json:"severity,omitempty"`
}

// UnmarshalJSON tolerates database_specific objects of other databases.
func (d *DatabaseSpecific) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil // not an object: nothing we use
	}
	if s, ok := m["severity"].(string); ok {
		d.Severity = s
	}
	return nil
}

// DB is a loaded advisory database, indexed by ecosystem and package.
type DB struct {
	// Source is the path it was loaded from.
	Source string
	// Advisories are the non-withdrawn advisories, sorted by ID.
	Advisories []*Advisory
	byPackage  map[string][]*Advisory // key: ecosystem base ("npm", "Debian") + "/" + name
}

// Load reads an OSV database from a directory of *.json files (recursively)
// or a .zip of them.
func Load(path string) (*DB, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("advisory database: %w", err)
	}
	db := &DB{Source: path}
	if st.IsDir() {
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return db.add(p, b)
		})
	} else {
		err = db.loadZip(path)
	}
	if err != nil {
		return nil, fmt.Errorf("advisory database %s: %w", path, err)
	}
	db.index()
	return db, nil
}

func (db *DB) loadZip(path string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.HasSuffix(f.Name, ".json") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if err := db.add(f.Name, b); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) add(name string, b []byte) error {
	var a Advisory
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if a.ID == "" {
		return fmt.Errorf("%s: not an OSV record (no id)", name)
	}
	if a.Withdrawn == "" {
		db.Advisories = append(db.Advisories, &a)
	}
	return nil
}

func (db *DB) index() {
	sort.Slice(db.Advisories, func(i, j int) bool { return db.Advisories[i].ID < db.Advisories[j].ID })
	db.byPackage = map[string][]*Advisory{}
	for _, a := range db.Advisories {
		seen := map[string]bool{}
		for _, af := range a.Affected {
			eco, _, _ := strings.Cut(af.Package.Ecosystem, ":")
			k := eco + "/" + af.Package.Name
			if !seen[k] {
				seen[k] = true
				db.byPackage[k] = append(db.byPackage[k], a)
			}
		}
	}
}

// lookup returns the advisories that name pkg in ecosystem (base name,
// e.g. "npm" or "Debian").
func (db *DB) lookup(ecosystem, pkg string) []*Advisory {
	return db.byPackage[ecosystem+"/"+pkg]
}
