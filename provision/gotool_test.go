package provision

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestGoProxy(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope")
	tests := []struct{ name, proxy, dir, want string }{
		{"prepends", "https://proxy.golang.org,direct", dir, "file://" + dir + ",https://proxy.golang.org,direct"},
		{"already there", "file://" + dir + ",direct", dir, "file://" + dir + ",direct"},
		{"dir missing", "direct", missing, "direct"},
		{"empty proxy", "", dir, "file://" + dir},
	}
	for _, tt := range tests {
		if got := goProxy(tt.proxy, tt.dir); got != tt.want {
			t.Errorf("%s: goProxy(%q) = %q, want %q", tt.name, tt.proxy, got, tt.want)
		}
	}
}

func TestFindRepoRoot(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "a", "b")
	must(t, os.MkdirAll(sub, 0o755))
	must(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("// c\nmodule dagger/immutable\n\ngo 1.26\n"), 0o644))
	// A nested module of another path must be skipped.
	must(t, os.WriteFile(filepath.Join(root, "a", "go.mod"), []byte("module other\n"), 0o644))
	got, err := findRepoRoot(sub)
	if err != nil || got != root {
		t.Errorf("findRepoRoot(%s) = %q, %v; want %q", sub, got, err, root)
	}
	if _, err := findRepoRoot(t.TempDir()); err == nil {
		t.Error("findRepoRoot outside a repository: no error")
	}
}

func TestParseMissing(t *testing.T) {
	out := "git ii \npigz un \nlibc6-dev:amd64 ii \n"
	got := parseMissing(out, []string{"git", "pigz", "libc6-dev", "docker-registry"})
	if want := []string{"pigz", "docker-registry"}; !slices.Equal(got, want) {
		t.Errorf("parseMissing = %q, want %q", got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
