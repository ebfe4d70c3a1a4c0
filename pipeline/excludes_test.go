package pipeline

import (
	"errors"
	"strings"
	"testing"

	"dagger/immutable/nodeapp"
)

func TestExcludedBy(t *testing.T) {
	excludes := []string{"node_modules", "!keep.js", "*.log", "build/", "src/*.ts"}
	for _, tc := range []struct{ file, want string }{
		{"build/server.js", "build"},
		{"./build/server.js", "build"},
		{"src/index.ts", "src/*.ts"},
		{"app.log", "*.log"},
		{"dist/server.js", ""},
		{"keep.js", ""},
	} {
		if got := excludedBy(excludes, tc.file); got != tc.want {
			t.Errorf("excludedBy(%q) = %q, want %q", tc.file, got, tc.want)
		}
	}
}

// TestExcludeHint: a smoke failure names the pattern that removed the
// entrypoint, and is left alone when none did.
func TestExcludeHint(t *testing.T) {
	fail := errors.New("smoke: the app exited (exit code 1) before it opened port 3000")
	b := &Build{App: &nodeapp.App{Entrypoint: "dist/server.js"}, Excludes: layerExcludes("node_modules\ndist\n")}
	if got := withExcludeHint(fail, b).Error(); !strings.HasPrefix(got, fail.Error()) || !strings.Contains(got, `the exclude pattern "dist" removes it`) {
		t.Errorf("hint = %q", got)
	}
	b.App.Entrypoint = "node_modules/fastify-cli/cli.js" // a dependency's bin: its own layer
	if got := withExcludeHint(fail, b); got != fail {
		t.Errorf("the entrypoint is a dependency's file, but the error became %q", got)
	}
	b.App.Entrypoint = "dist/server.js"
	b.Excludes = layerExcludes("node_modules\n")
	if got := withExcludeHint(fail, b); got != fail {
		t.Errorf("no pattern matches, but the error became %q", got)
	}
}
