package pipeline

import (
	"path"
	"sort"
	"strings"

	"dagger/immutable/checks"
)

// defaultExcludes never reach the app layer: tests, VCS data, host
// dependencies, package manager and build caches, state and logs (yarn berry's
// .yarn holds its cache, releases and install state; .pnp.* is
// Plug'n'Play's), credentials.
var defaultExcludes = []string{
	".git", ".github", "node_modules", ".npm", ".npmrc", ".env", ".env.*",
	".yarn", ".pnp.cjs", ".pnp.loader.mjs", ".pnpm-store",
	"npm-debug.log*", "yarn-error.log*", "*.log",
	"test", "tests", "__tests__", "**/*.test.js", "**/*.test.mjs", "**/*.test.cjs", "**/*.spec.js",
	"coverage", ".nyc_output", "Dockerfile", ".dockerignore",
	// Next.js's build cache and timing traces: never read at run time, and
	// different on every build.
	".next/cache", ".next/trace", ".next/trace-build",
}

// layerExcludes are the exclude patterns of the app layer: appExcludes,
// then the files that must never ship whatever .dockerignore says (npm
// auth files, the checks' accept file). They come last, so a "!.npmrc" in
// .dockerignore cannot re-include them.
func layerExcludes(dockerignore string) []string {
	return append(append(appExcludes(dockerignore), npmAuthFiles...), checks.AcceptFile)
}

// appExcludes returns the exclude patterns for the app layer: the defaults
// plus the patterns of a .dockerignore file (comments and blank lines
// dropped). Negations ("!x") are passed through as given.
func appExcludes(dockerignore string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range defaultExcludes {
		add(p)
	}
	for _, line := range strings.Split(dockerignore, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		add(strings.TrimPrefix(line, "/"))
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// excludedBy returns the first pattern of excludes that keeps file (a path
// relative to the app directory, e.g. "dist/server.js") out of the app
// layer, matched against the file and each of its parent directories, or
// "" when none does (negations are not followed: this names a likely
// cause for an error message, it does not decide what ships).
func excludedBy(excludes []string, file string) string {
	file = path.Clean(strings.TrimPrefix(file, "./"))
	parts := strings.Split(file, "/")
	for _, p := range excludes {
		if strings.HasPrefix(p, "!") {
			continue
		}
		p = strings.TrimSuffix(path.Clean(p), "/")
		for i := range parts {
			if ok, _ := path.Match(p, path.Join(parts[:i+1]...)); ok {
				return p
			}
		}
	}
	return ""
}
