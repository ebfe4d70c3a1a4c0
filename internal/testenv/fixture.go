package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// CopyFixture copies fixtures/<name> (without node_modules) to a temporary
// directory removed when the test ends, and returns that directory.
func CopyFixture(t testing.TB, name string) string {
	t.Helper()
	src := Path("fixtures", name)
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
