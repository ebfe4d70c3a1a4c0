package pipeline

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartBinScript runs startbin.js with the host's node on an installed
// tree: a bin object, a scoped package's bin string, a dev dependency's
// command (not found: only production dependencies ship) and an unknown
// command.
func TestStartBinScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on this machine")
	}
	dir := t.TempDir()
	files := map[string]string{
		"package.json":                          `{"dependencies": {"next": "16.0.0", "@acme/serve": "1.0.0"}, "devDependencies": {"nodemon": "3.0.0"}}`,
		"node_modules/next/package.json":        `{"name": "next", "bin": {"next": "./dist/bin/next"}}`,
		"node_modules/@acme/serve/package.json": `{"name": "@acme/serve", "bin": "cli.js"}`,
		"node_modules/nodemon/package.json":     `{"name": "nodemon", "bin": {"nodemon": "bin/nodemon.js"}}`,
		"node_modules/unrelated/package.json":   `{"name": "unrelated", "bin": {"next": "evil.js"}}`,
	}
	writeFiles(t, dir, files)
	for cmd, want := range map[string]string{
		"next":    "node_modules/next/dist/bin/next",
		"serve":   "node_modules/@acme/serve/cli.js",
		"nodemon": "",
		"nope":    "",
	} {
		c := exec.Command(node, "-e", startBinScript, cmd)
		c.Dir = dir
		out, err := c.Output()
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s resolves to %q, want %q", cmd, got, want)
		}
	}
}

// writeFiles writes files (path relative to dir -> content) under dir,
// making their directories, and returns dir.
func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
