package lockfile

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

type berryEntry struct {
	Version      string            `yaml:"version"`
	Resolution   string            `yaml:"resolution"`
	Dependencies map[string]string `yaml:"dependencies"`
	LinkType     string            `yaml:"linkType"`
}

// BerryMetadata is the __metadata entry of a yarn berry lockfile.
type BerryMetadata struct {
	// Version is the lockfile format: 4 for yarn 2, 6 for yarn 3, 8 for
	// yarn 4.0–4.x, 10 for later yarn 4 releases.
	Version int `yaml:"version"`
	// CacheKey is the cache format the checksums are for.
	CacheKey string `yaml:"cacheKey"`
}

// ParseBerryMetadata reads the __metadata entry of a yarn berry lockfile.
func ParseBerryMetadata(lock []byte) (BerryMetadata, error) {
	var doc struct {
		Metadata BerryMetadata `yaml:"__metadata"`
	}
	if err := yaml.Unmarshal(lock, &doc); err != nil {
		return BerryMetadata{}, fmt.Errorf("yarn.lock: %w", err)
	}
	return doc.Metadata, nil
}

// parseYarnBerry reads a yarn 2+ lockfile (YAML). The project's own entry
// ("<name>@workspace:.") records the descriptor of each dependency, from
// which the production ones are followed.
func parseYarnBerry(lock []byte, m Manifest) ([]node, error) {
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(lock, &doc); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		if k != "__metadata" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var nodes []node
	var entries []berryEntry
	index := map[string]int{}
	var root *berryEntry
	for _, k := range keys {
		v := doc[k]
		var e berryEntry
		if err := v.Decode(&e); err != nil {
			return nil, fmt.Errorf("entry %q: %w", k, err)
		}
		if strings.Contains(e.Resolution, "@workspace:") {
			if strings.HasSuffix(e.Resolution, "@workspace:.") {
				root = &e
			}
			continue
		}
		name, _, _ := splitSpec(e.Resolution)
		var paths []string
		for _, d := range strings.Split(k, ",") {
			d = strings.TrimSpace(d)
			index[d] = len(nodes)
			alias, _, _ := splitSpec(d)
			if p := "node_modules/" + alias; !containsString(paths, p) {
				paths = append(paths, p)
			}
		}
		nodes = append(nodes, node{Package: Package{Name: name, Version: e.Version, Paths: paths}})
		entries = append(entries, e)
	}
	if root == nil {
		return nil, fmt.Errorf("no entry for the project itself (\"%s@workspace:.\"): run `yarn install` and commit yarn.lock", m.Name)
	}
	var roots []string
	var missing []string
	for _, deps := range []map[string]string{m.Dependencies, m.OptionalDependencies} {
		for name := range deps {
			desc, ok := root.Dependencies[name]
			if !ok {
				missing = append(missing, name)
				continue
			}
			roots = append(roots, name+"@"+desc)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("package.json dependencies %s are not in yarn.lock: run `yarn install` and commit yarn.lock", strings.Join(missing, ", "))
	}
	sort.Strings(roots)
	deps := func(i int) []string {
		var out []string
		for name, desc := range entries[i].Dependencies {
			out = append(out, name+"@"+desc)
		}
		sort.Strings(out)
		return out
	}
	reach(roots, index, deps, nodes)
	return nodes, nil
}

// BerryRootDescriptors returns the descriptors (name to "npm:^1.0.0") that
// a yarn berry lockfile records for the project's own dependencies, dev
// dependencies included; ok is false when it has no entry for the project.
func BerryRootDescriptors(lock []byte) (deps map[string]string, ok bool, err error) {
	var doc map[string]berryEntry
	if err := yaml.Unmarshal(lock, &doc); err != nil {
		return nil, false, fmt.Errorf("yarn.lock: %w", err)
	}
	for k, e := range doc {
		if k != "__metadata" && strings.HasSuffix(e.Resolution, "@workspace:.") {
			return e.Dependencies, true, nil
		}
	}
	return nil, false, nil
}
