package provision

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestInstallFileAndSameContent(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	dst := filepath.Join(dir, "a", "b", "dst")
	if err := os.WriteFile(src, []byte("binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	if sameContent(src, dst) {
		t.Error("sameContent before install = true")
	}
	if err := installFile(src, dst); err != nil {
		t.Fatal(err)
	}
	if !sameContent(src, dst) {
		t.Error("sameContent after install = false")
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("installed mode = %v, %v; want 0755", fi.Mode(), err)
	}
	if err := os.WriteFile(src, []byte("binarx"), 0o644); err != nil {
		t.Fatal(err)
	}
	if sameContent(src, dst) {
		t.Error("sameContent with equal size, other bytes = true")
	}
}

func TestStampMatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".stamp")
	if stampMatches(path, "x") {
		t.Error("missing stamp matches")
	}
	if err := writeFileAtomic(path, []byte("dagger v0.21.8\ngo go1.26.8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		want  string
		match bool
	}{
		{"dagger v0.21.8\ngo go1.26.8\n", true},
		{"dagger v0.21.8\ngo go1.26.9\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := stampMatches(path, tt.want); got != tt.match {
			t.Errorf("stampMatches(%q) = %v, want %v", tt.want, got, tt.match)
		}
	}
}

func TestSetEnv(t *testing.T) {
	got := setEnv([]string{"A=1", "GOPROXY=x", "AB=2"}, "A", "3")
	if want := []string{"GOPROXY=x", "AB=2", "A=3"}; !slices.Equal(got, want) {
		t.Errorf("setEnv = %q, want %q", got, want)
	}
}

func TestTail(t *testing.T) {
	if got := tail("a\nb\nc\n", 2); got != "b\nc" {
		t.Errorf("tail = %q", got)
	}
}
