package repro

import (
	"path"
	"strings"
)

// fileHint is one known cause of a file differing between two builds.
type fileHint struct {
	match func(p, base string) bool
	hint  string
}

// fileHints are checked in order; the first match gives FileDiff.Hint.
var fileHints = []fileHint{
	{func(p, base string) bool {
		return strings.HasSuffix(base, ".pyc") || strings.Contains(p, "/__pycache__/")
	},
		"Python bytecode (node-gyp's gyp writes it) embeds a source time: build with PYTHONDONTWRITEBYTECODE=1 and delete __pycache__"},
	{func(p, base string) bool { return base == "config.gypi" },
		"node-gyp build configuration, not needed at run time: keep only build/Release/*.node"},
	{func(p, base string) bool {
		return (base == "Makefile" || strings.HasSuffix(base, ".mk")) && strings.Contains(p, "/build/")
	}, "node-gyp Makefile, a build intermediate: keep only build/Release/*.node"},
	{func(p, base string) bool {
		return strings.HasSuffix(base, ".o") || strings.HasSuffix(base, ".d") || strings.HasSuffix(base, ".a") ||
			strings.Contains(p, "/obj.target/") || strings.Contains(p, "/.deps/")
	}, "compiler intermediate (object, dependency or archive file): not needed at run time, delete it"},
	{func(p, base string) bool { return strings.HasSuffix(base, ".node") },
		"native addon binary: compiler output differs; look for __DATE__/__TIME__ (set SOURCE_DATE_EPOCH), embedded build paths (-ffile-prefix-map) or a build that reads the clock"},
	{func(p, base string) bool {
		return strings.Contains(p, "/.next/cache/") || strings.HasSuffix(p, "/.next/trace") || strings.HasSuffix(p, "/.next/trace-build")
	}, "Next.js build cache and timing traces, not needed at run time: exclude .next/cache and .next/trace* (the defaults do; check .dockerignore does not re-include them)"},
	{func(p, base string) bool {
		return strings.HasSuffix(p, "/.next/BUILD_ID") || strings.Contains(p, "/.next/static/") && strings.HasSuffix(base, "Manifest.js")
	}, "Next.js build ID, random per build: set generateBuildId in next.config (e.g. () => 'build-' + process.env.SOURCE_DATE_EPOCH)"},
	{func(p, base string) bool {
		return strings.Contains(p, "/.next/") && (strings.HasPrefix(base, "server-reference-manifest") || base == "prerender-manifest.json" || base == "preview-props.json")
	}, "Next.js keys, random per build (server actions, preview mode): set NEXT_SERVER_ACTIONS_ENCRYPTION_KEY for the build, and give the preview keys in .next/cache/.previewinfo before `next build` (see the README's Next.js row)"},
	{func(p, base string) bool { return base == ".package-lock.json" && strings.Contains(p, "node_modules/") },
		"npm's hidden lockfile: dependencies resolved differently; check package-lock.json is committed and complete"},
}

// hintFor returns the known cause of a differing path, or "".
func hintFor(p string) string {
	base := path.Base(p)
	for _, h := range fileHints {
		if h.match("/"+p, base) {
			return h.hint
		}
	}
	return ""
}
