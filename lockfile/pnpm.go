package lockfile

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

type pnpmLock struct {
	LockfileVersion string                  `yaml:"lockfileVersion"`
	Importers       map[string]pnpmImporter `yaml:"importers"`
	Packages        map[string]struct {
		Resolution struct {
			Integrity string `yaml:"integrity"`
		} `yaml:"resolution"`
	} `yaml:"packages"`
	Snapshots map[string]struct {
		Dependencies         map[string]string `yaml:"dependencies"`
		OptionalDependencies map[string]string `yaml:"optionalDependencies"`
	} `yaml:"snapshots"`
}

// pnpmImporter is a project of the lockfile ("." is the root).
type pnpmImporter struct {
	Dependencies         map[string]pnpmDep `yaml:"dependencies"`
	DevDependencies      map[string]pnpmDep `yaml:"devDependencies"`
	OptionalDependencies map[string]pnpmDep `yaml:"optionalDependencies"`
}

type pnpmDep struct {
	Specifier string `yaml:"specifier"`
	Version   string `yaml:"version"`
}

// PNPMLockfileVersion returns pnpm-lock.yaml's lockfileVersion ("9.0").
func PNPMLockfileVersion(lock []byte) (string, error) {
	var l struct {
		V string `yaml:"lockfileVersion"`
	}
	if err := yaml.Unmarshal(lock, &l); err != nil {
		return "", fmt.Errorf("pnpm-lock.yaml: %w", err)
	}
	return l.V, nil
}

// PNPMRootSpecifiers returns the specifiers (package.json ranges) that the
// root importer of pnpm-lock.yaml records, by dependency field
// ("dependencies", "devDependencies", "optionalDependencies") and name.
func PNPMRootSpecifiers(lock []byte) (map[string]map[string]string, error) {
	var l pnpmLock
	if err := yaml.Unmarshal(lock, &l); err != nil {
		return nil, fmt.Errorf("pnpm-lock.yaml: %w", err)
	}
	root := l.Importers["."]
	out := map[string]map[string]string{}
	for field, deps := range map[string]map[string]pnpmDep{
		"dependencies": root.Dependencies, "devDependencies": root.DevDependencies, "optionalDependencies": root.OptionalDependencies,
	} {
		out[field] = map[string]string{}
		for name, d := range deps {
			out[field][name] = d.Specifier
		}
	}
	return out, nil
}

// parsePNPM reads pnpm-lock.yaml lockfileVersion 9 (pnpm 9 and later):
// production is what the root importer's dependencies and
// optionalDependencies reach through snapshots.
func parsePNPM(lock []byte) ([]node, error) {
	var l pnpmLock
	if err := yaml.Unmarshal(lock, &l); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(l.LockfileVersion, "9.") {
		return nil, fmt.Errorf("lockfileVersion %q: only lockfileVersion 9 (pnpm 9 and later) is supported; regenerate it with `pnpm install` using pnpm 9 or later", l.LockfileVersion)
	}
	keys := make([]string, 0, len(l.Snapshots))
	for k := range l.Snapshots {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	nodes := make([]node, len(keys))
	index := map[string]int{}
	for i, k := range keys {
		index[k] = i
		name, version := pnpmNameVersion(k)
		paths := []string{"node_modules/.pnpm/node_modules/" + name}
		if dir := pnpmDirName(k); dir != "" {
			paths = append(paths, "node_modules/.pnpm/"+dir)
		}
		nodes[i] = node{Package: Package{
			Name: name, Version: version, Paths: paths,
			Integrity: l.Packages[name+"@"+version].Resolution.Integrity,
		}}
	}
	root := l.Importers["."]
	var roots []string
	for _, deps := range []map[string]pnpmDep{root.Dependencies, root.OptionalDependencies} {
		for name, d := range deps {
			roots = append(roots, pnpmKey(name, d.Version))
		}
	}
	sort.Strings(roots)
	deps := func(i int) []string {
		s := l.Snapshots[keys[i]]
		var out []string
		for _, m := range []map[string]string{s.Dependencies, s.OptionalDependencies} {
			for name, v := range m {
				out = append(out, pnpmKey(name, v))
			}
		}
		sort.Strings(out)
		return out
	}
	reach(roots, index, deps, nodes)
	// A direct dependency is also linked at node_modules/<alias>.
	for _, deps := range []map[string]pnpmDep{root.Dependencies, root.OptionalDependencies, root.DevDependencies} {
		for alias, d := range deps {
			if i, ok := index[pnpmKey(alias, d.Version)]; ok {
				nodes[i].Paths = append(nodes[i].Paths, "node_modules/"+alias)
			}
		}
	}
	return nodes, nil
}

// pnpmKey turns a dependency (name, version reference) into its snapshot
// key: "1.0.0(peer@2.0.0)" is name@1.0.0(peer@2.0.0); an alias's reference
// is already a key ("lodash.get@4.4.2").
func pnpmKey(name, ref string) string {
	head, _, _ := strings.Cut(ref, "(")
	if strings.Contains(strings.TrimPrefix(head, "@"), "@") {
		return ref
	}
	return name + "@" + ref
}

// pnpmNameVersion splits a snapshot key "name@version(peers…)".
func pnpmNameVersion(key string) (string, string) {
	head, _, _ := strings.Cut(key, "(")
	name, version, _ := splitSpec(head)
	return name, version
}

var pnpmUnsafe = regexp.MustCompile(`[\\/:*?"<>|]`)

// pnpmDirName is the directory under node_modules/.pnpm that pnpm installs
// a snapshot into (its depPathToFilename), or "" when pnpm would shorten it
// with a hash (long or upper-case names), which is not reproduced here.
func pnpmDirName(key string) string {
	f := pnpmUnsafe.ReplaceAllString(key, "+")
	if strings.Contains(f, "(") {
		f = strings.TrimSuffix(f, ")")
		f = strings.NewReplacer(")(", "_", "(", "_", ")", "_").Replace(f)
	}
	if len(f) > 120 || f != strings.ToLower(f) {
		return ""
	}
	return f
}
