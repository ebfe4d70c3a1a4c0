package lockfile

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// classicEntry is one yarn.lock v1 entry: the patterns ("name@range") it
// resolves and its fields.
type classicEntry struct {
	patterns []string
	fields   map[string]string
	deps     map[string]string // dependencies and optionalDependencies
}

// parseYarnClassicFile reads yarn's own lockfile format (v1): entries at
// column 0 ("a@^1, a@^1.2:"), fields indented two spaces ("version "1.0.0""),
// dependency maps indented four.
func parseYarnClassicFile(lock []byte) ([]classicEntry, error) {
	var out []classicEntry
	var cur *classicEntry
	var section string
	sc := bufio.NewScanner(bytes.NewReader(lock))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \r")
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(line) - len(trimmed)
		switch {
		case indent == 0:
			if !strings.HasSuffix(trimmed, ":") {
				return nil, fmt.Errorf("line %d: want an entry (\"name@range:\"), got %q", n, trimmed)
			}
			var pats []string
			for _, p := range strings.Split(strings.TrimSuffix(trimmed, ":"), ",") {
				s, err := unquote(strings.TrimSpace(p))
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", n, err)
				}
				pats = append(pats, s)
			}
			out = append(out, classicEntry{patterns: pats, fields: map[string]string{}, deps: map[string]string{}})
			cur, section = &out[len(out)-1], ""
		case cur == nil:
			return nil, fmt.Errorf("line %d: field outside an entry", n)
		case indent == 2 && strings.HasSuffix(trimmed, ":"):
			section = strings.TrimSuffix(trimmed, ":")
		case indent == 2:
			k, v, err := keyValue(trimmed)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			cur.fields[k], section = v, ""
		case indent == 4 && (section == "dependencies" || section == "optionalDependencies"):
			k, v, err := keyValue(trimmed)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			cur.deps[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// keyValue splits `key value` where either may be double-quoted.
func keyValue(s string) (string, string, error) {
	var key string
	if strings.HasPrefix(s, `"`) {
		end := closingQuote(s)
		if end < 0 {
			return "", "", fmt.Errorf("unterminated string in %q", s)
		}
		k, err := strconv.Unquote(s[:end+1])
		if err != nil {
			return "", "", fmt.Errorf("%q: %w", s, err)
		}
		key, s = k, s[end+1:]
	} else {
		var ok bool
		key, s, ok = strings.Cut(s, " ")
		if !ok {
			return "", "", fmt.Errorf("want `key value`, got %q", s)
		}
	}
	v, err := unquote(strings.TrimSpace(s))
	return key, v, err
}

func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func unquote(s string) (string, error) {
	if strings.HasPrefix(s, `"`) {
		return strconv.Unquote(s)
	}
	return s, nil
}

// YarnClassicPatterns returns the set of patterns ("name@range") a yarn.lock
// v1 resolves.
func YarnClassicPatterns(lock []byte) (map[string]bool, error) {
	entries, err := parseYarnClassicFile(lock)
	if err != nil {
		return nil, fmt.Errorf("yarn.lock: %w", err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		for _, p := range e.patterns {
			out[p] = true
		}
	}
	return out, nil
}

// parseYarnClassic marks as production everything reachable from
// package.json's dependencies and optionalDependencies.
func parseYarnClassic(lock []byte, m Manifest) ([]node, error) {
	if !bytes.Contains(lock, []byte("# yarn lockfile v1")) {
		return nil, fmt.Errorf("not a yarn lockfile v1 (no \"# yarn lockfile v1\" line)")
	}
	entries, err := parseYarnClassicFile(lock)
	if err != nil {
		return nil, err
	}
	nodes := make([]node, len(entries))
	index := map[string]int{}
	for i, e := range entries {
		var paths []string
		name := ""
		for _, p := range e.patterns {
			index[p] = i
			alias, real := patternNames(p)
			paths = append(paths, "node_modules/"+alias)
			if name == "" {
				name = real
			}
		}
		if e.fields["version"] == "" {
			return nil, fmt.Errorf("entry %q has no version", strings.Join(e.patterns, ", "))
		}
		nodes[i] = node{Package: Package{Name: name, Version: e.fields["version"], Integrity: e.fields["integrity"], Paths: paths}}
	}
	deps := func(i int) []string {
		var out []string
		for name, rng := range entries[i].deps {
			out = append(out, name+"@"+rng)
		}
		sort.Strings(out)
		return out
	}
	reach(rootPatterns(m, func(name, rng string) string { return name + "@" + rng }), index, deps, nodes)
	return nodes, nil
}

// patternNames returns the name a pattern installs under and the registry
// name it resolves to: "getter@npm:lodash.get@^4" gives getter, lodash.get.
func patternNames(pattern string) (alias, real string) {
	alias, rng, _ := splitSpec(pattern)
	real = alias
	if target, ok := strings.CutPrefix(rng, "npm:"); ok {
		if n, _, ok := splitSpec(target); ok {
			real = n
		}
	}
	return alias, real
}

// rootPatterns lists the production roots of package.json, each as the
// lockfile spells it.
func rootPatterns(m Manifest, spell func(name, rng string) string) []string {
	var out []string
	for _, deps := range []map[string]string{m.Dependencies, m.OptionalDependencies} {
		for name, rng := range deps {
			out = append(out, spell(name, rng))
		}
	}
	sort.Strings(out)
	return out
}

// isBerry reports whether a yarn.lock was written by yarn 2 or later: those
// are YAML with a __metadata entry.
func isBerry(lock []byte) bool {
	return bytes.Contains(lock, []byte("\n__metadata:")) || bytes.HasPrefix(lock, []byte("__metadata:"))
}
