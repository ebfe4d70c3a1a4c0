package lockfile

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Kind is a lockfile format, which also says which package manager wrote it.
type Kind string

// The supported lockfile formats.
const (
	NPM         Kind = "npm"
	YarnClassic Kind = "yarn-classic"
	YarnBerry   Kind = "yarn-berry"
	PNPM        Kind = "pnpm"
)

// File returns the name of the lockfile of kind k.
func (k Kind) File() string {
	switch k {
	case YarnClassic, YarnBerry:
		return "yarn.lock"
	case PNPM:
		return "pnpm-lock.yaml"
	default:
		return "package-lock.json"
	}
}

// Tool returns the command of the package manager: npm, yarn or pnpm.
func (k Kind) Tool() string {
	switch k {
	case YarnClassic, YarnBerry:
		return "yarn"
	case PNPM:
		return "pnpm"
	default:
		return "npm"
	}
}

// Package is one locked package version.
type Package struct {
	// Name is the package's registry name (the alias target for an npm:
	// alias).
	Name string
	// Version is the locked version.
	Version string
	// Integrity is the Subresource Integrity of the registry tarball
	// ("sha512-<base64>"), or "" when the lockfile records none (yarn
	// berry's checksum is of its own zip archive, not the tarball).
	Integrity string
	// License is package-lock.json's license ("" for other formats).
	License string
	// Dev is true when only development dependencies need the package.
	Dev bool
	// Paths are install paths relative to the project root where the
	// lockfile tells them ("node_modules/a/node_modules/b" for npm;
	// "node_modules/.pnpm/a@1.0.0" for pnpm; the top-level
	// "node_modules/<name>" for yarn).
	Paths []string
}

// Graph is what a lockfile says about the project's dependencies.
type Graph struct {
	// Kind is the lockfile's format.
	Kind Kind
	// Packages are the locked packages, one per name and version, sorted.
	Packages []Package
}

// Production returns the packages that are not dev-only.
func (g *Graph) Production() []Package {
	if g == nil {
		return nil
	}
	var out []Package
	for _, p := range g.Packages {
		if !p.Dev {
			out = append(out, p)
		}
	}
	return out
}

// DevOnlyPaths returns the sorted install paths of dev-only packages that
// no production package shares: a production install must have none of
// them.
func (g *Graph) DevOnlyPaths() []string {
	if g == nil {
		return nil
	}
	prod := map[string]bool{}
	for _, p := range g.Packages {
		if !p.Dev {
			for _, path := range p.Paths {
				prod[path] = true
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range g.Packages {
		if !p.Dev {
			continue
		}
		for _, path := range p.Paths {
			if !prod[path] && !seen[path] {
				seen[path] = true
				out = append(out, path)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Detect tells the lockfile format of a project from its files (by name:
// package.json, package-lock.json, yarn.lock, pnpm-lock.yaml). It fails
// when there is no lockfile or more than one.
func Detect(files map[string][]byte) (Kind, error) {
	var found []Kind
	if _, ok := files["package-lock.json"]; ok {
		found = append(found, NPM)
	}
	if b, ok := files["yarn.lock"]; ok {
		if isBerry(b) {
			found = append(found, YarnBerry)
		} else {
			found = append(found, YarnClassic)
		}
	}
	if _, ok := files["pnpm-lock.yaml"]; ok {
		found = append(found, PNPM)
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no lockfile (package-lock.json, yarn.lock or pnpm-lock.yaml)")
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, k := range found {
		names[i] = k.File()
	}
	return "", fmt.Errorf("several lockfiles (%s): keep the one of the package manager you use and delete the others", strings.Join(names, ", "))
}

// Parse detects the lockfile in files and reads it. package.json is needed
// for yarn, whose lockfile does not say which dependencies are the
// project's own.
func Parse(files map[string][]byte) (*Graph, error) {
	kind, err := Detect(files)
	if err != nil {
		return nil, err
	}
	return ParseKind(kind, files)
}

// ParseKind reads the lockfile of the given kind from files.
func ParseKind(kind Kind, files map[string][]byte) (*Graph, error) {
	lock, ok := files[kind.File()]
	if !ok {
		return nil, fmt.Errorf("%s not found", kind.File())
	}
	var nodes []node
	var err error
	switch kind {
	case NPM:
		nodes, err = parseNPM(lock)
	case PNPM:
		nodes, err = parsePNPM(lock)
	case YarnClassic, YarnBerry:
		var m Manifest
		if m, err = ParseManifest(files["package.json"]); err == nil {
			if kind == YarnClassic {
				nodes, err = parseYarnClassic(lock, m)
			} else {
				nodes, err = parseYarnBerry(lock, m)
			}
		}
	default:
		return nil, fmt.Errorf("unknown lockfile kind %q", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind.File(), err)
	}
	return &Graph{Kind: kind, Packages: merge(nodes)}, nil
}

// Manifest is the part of package.json the lockfile readers need.
type Manifest struct {
	Name                 string            `json:"name"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PackageManager       string            `json:"packageManager"`
}

// ParseManifest reads package.json.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if b == nil {
		return m, fmt.Errorf("package.json not found")
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("package.json: %w", err)
	}
	return m, nil
}

// node is one lockfile entry as a parser sees it, before entries of the
// same name and version are merged.
type node struct {
	Package
	reached bool // reached from a production root (yarn, pnpm)
}

// merge folds nodes of the same name and version into one Package: dev
// only when every entry is, paths joined; sorted by name and version.
func merge(nodes []node) []Package {
	byKey := map[string]*Package{}
	var keys []string
	for _, n := range nodes {
		k := n.Name + "@" + n.Version
		p, ok := byKey[k]
		if !ok {
			cp := n.Package
			cp.Paths = nil
			p = &cp
			byKey[k] = p
			keys = append(keys, k)
		}
		p.Dev = p.Dev && n.Dev
		if p.Integrity == "" {
			p.Integrity = n.Integrity
		}
		if p.License == "" {
			p.License = n.License
		}
		for _, path := range n.Paths {
			if !containsString(p.Paths, path) {
				p.Paths = append(p.Paths, path)
			}
		}
	}
	out := make([]Package, 0, len(keys))
	for _, k := range keys {
		p := byKey[k]
		sort.Strings(p.Paths)
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// splitSpec splits "name@range" (the name may be scoped: "@s/n@range") at
// the '@' that ends the name.
func splitSpec(s string) (name, rng string, ok bool) {
	i := strings.Index(s[min(1, len(s)):], "@")
	if i < 0 {
		return s, "", false
	}
	i++
	return s[:i], s[i+1:], true
}

// reach marks every node reachable from roots through deps (keys into
// index) as reached.
func reach(roots []string, index map[string]int, deps func(i int) []string, nodes []node) {
	queue := append([]string(nil), roots...)
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		i, ok := index[k]
		if !ok || nodes[i].reached {
			continue
		}
		nodes[i].reached = true
		queue = append(queue, deps(i)...)
	}
	for i := range nodes {
		nodes[i].Dev = !nodes[i].reached
	}
}
