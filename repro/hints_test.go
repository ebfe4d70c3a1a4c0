package repro

import (
	"strings"
	"testing"
)

func TestHintFor(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"app/node_modules/x/gyp/pylib/gyp/__pycache__/common.cpython-311.pyc", "PYTHONDONTWRITEBYTECODE=1"},
		{"app/build/config.gypi", "build configuration"},
		{"app/node_modules/addon/build/Makefile", "node-gyp Makefile"},
		{"app/build/addon.target.mk", "node-gyp Makefile"},
		{"app/build/Release/obj.target/addon/src/addon.o", "compiler intermediate"},
		{"app/build/Release/.deps/Release/addon.node.d", "compiler intermediate"},
		{"app/build/Release/addon.node", "SOURCE_DATE_EPOCH"},
		{"app/node_modules/.package-lock.json", "hidden lockfile"},
		{"app/.next/cache/turbopack/v16.4.3-29bbeab0/00000001.sst", "Next.js build cache"},
		{"app/.next/trace", "Next.js build cache"},
		{"app/.next/BUILD_ID", "generateBuildId"},
		{"app/.next/static/jbR0ISnF4sz7dfQxxOdhI/_buildManifest.js", "generateBuildId"},
		{"app/.next/server/server-reference-manifest.json", "NEXT_SERVER_ACTIONS_ENCRYPTION_KEY"},
		{"app/.next/server/prerender-manifest.json", "preview keys"},
		{"app/node_modules/x/trace", ""},
		{"app/Makefile", ""},
		{"app/app.js", ""},
	} {
		if got := hintFor(tc.path); tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("hintFor(%q) = %q, want it to contain %q", tc.path, got, tc.want)
		}
	}
}

// TestDiffHints: the report names the known cause next to the file.
func TestDiffHints(t *testing.T) {
	a := image(t, epoch, false, nil, layer(t, []file{{name: "app/build/config.gypi", body: "a", mtime: epoch}, {name: "app/app.js", body: "a", mtime: epoch}}))
	b := image(t, epoch, false, nil, layer(t, []file{{name: "app/build/config.gypi", body: "b", mtime: epoch}, {name: "app/app.js", body: "b", mtime: epoch}}))
	r, err := Diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	text := r.String()
	if !strings.Contains(text, "modified app/build/config.gypi: size") && !strings.Contains(text, "config.gypi: sha256") {
		t.Fatalf("String() does not name config.gypi:\n%s", text)
	}
	if !strings.Contains(text, "    hint: node-gyp build configuration") {
		t.Errorf("String() has no hint for config.gypi:\n%s", text)
	}
	for _, f := range r.Layers[0].Files {
		if strings.HasSuffix(f.Path, "app.js") && f.Hint != "" {
			t.Errorf("app.js got hint %q", f.Hint)
		}
	}
	js, _ := r.JSON()
	if !strings.Contains(string(js), `"hint": "node-gyp build configuration`) {
		t.Errorf("JSON has no hint:\n%s", js)
	}
}
