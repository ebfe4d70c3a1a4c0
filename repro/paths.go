package repro

import (
	"path"
	"strings"

	"dagger/immutable/internal/tarlayer"
)

// cleanName returns a tar entry name in canonical form: no leading "/" or
// "./", no trailing "/", "." for the root.
func cleanName(name string) string { return tarlayer.CleanName(name) }

// matchPath reports whether p (a cleanName) or one of its ancestors matches
// pattern. A pattern with "/" matches whole paths (leading "/" or "./"
// ignored); a pattern without "/" matches base names.
func matchPath(pattern, p string) (bool, error) {
	pattern = strings.TrimPrefix(pattern, "./")
	pattern = strings.TrimPrefix(pattern, "/")
	whole := strings.Contains(pattern, "/")
	for q := p; q != "." && q != "/" && q != ""; q = path.Dir(q) {
		subject := q
		if !whole {
			subject = path.Base(q)
		}
		ok, err := path.Match(pattern, subject)
		if err != nil || ok {
			return ok, err
		}
	}
	// Validate the pattern even when nothing was tried.
	_, err := path.Match(pattern, "")
	return false, err
}

func matchAny(patterns []string, p string) bool {
	for _, pat := range patterns {
		if ok, _ := matchPath(pat, p); ok {
			return true
		}
	}
	return false
}
