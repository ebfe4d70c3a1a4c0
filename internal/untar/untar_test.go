package untar

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one tar entry: typ is tar.TypeReg unless set.
type entry struct {
	name, link, body string
	typ              byte
	mode             int64
}

func tarOf(t *testing.T, entries ...entry) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Size: int64(len(e.body))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// TestExtractRefusesEscapes: nothing an archive says may write, link or
// chmod outside the directory, whether by name or through a symlink an
// earlier entry made (absolute targets included).
func TestExtractRefusesEscapes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries func(outside string) []entry
		opts    []Option
	}{
		{"dotdot", func(string) []entry { return []entry{{name: "../pwned", body: "x"}} }, nil},
		{"dotdot inside", func(string) []entry { return []entry{{name: "a/../../pwned", body: "x"}} }, nil},
		{"absolute", func(o string) []entry { return []entry{{name: filepath.Join(o, "pwned"), body: "x"}} }, nil},
		{"dotdot regular only", func(string) []entry { return []entry{{name: "../pwned", body: "x"}} }, []Option{RegularOnly()}},
		{"mapped out", func(string) []entry { return []entry{{name: "a", body: "x"}} },
			[]Option{WithName(func(string) string { return "../pwned" })}},
		{"through absolute symlink", func(o string) []entry {
			return []entry{{name: "l", typ: tar.TypeSymlink, link: o}, {name: "l/pwned", body: "x"}}
		}, nil},
		{"through relative symlink", func(o string) []entry {
			return []entry{{name: "d/l", typ: tar.TypeSymlink, link: "../../" + filepath.Base(o)}, {name: "d/l/pwned", body: "x"}}
		}, nil},
		{"directory on symlink", func(o string) []entry {
			return []entry{{name: "l", typ: tar.TypeSymlink, link: o}, {name: "l/", typ: tar.TypeDir, mode: 0o777}}
		}, nil},
		{"hard link out", func(string) []entry {
			return []entry{{name: "h", typ: tar.TypeLink, link: "../outside/file"}}
		}, nil},
		{"hard link absolute", func(o string) []entry {
			return []entry{{name: "h", typ: tar.TypeLink, link: filepath.Join(o, "file")}}
		}, nil},
		{"hard link through symlink", func(o string) []entry {
			return []entry{{name: "l", typ: tar.TypeSymlink, link: o}, {name: "h", typ: tar.TypeLink, link: "l/file"}}
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			outside := filepath.Join(base, "outside")
			dir := filepath.Join(base, "dir")
			for _, d := range []string{outside, dir} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(outside, "file"), []byte("host"), 0o600); err != nil {
				t.Fatal(err)
			}
			err := Extract(tarOf(t, tc.entries(outside)...), dir, tc.opts...)
			if err == nil {
				t.Errorf("Extract = nil, want an error")
			}
			if _, err := os.Lstat(filepath.Join(base, "pwned")); err == nil {
				t.Errorf("Extract wrote %s", filepath.Join(base, "pwned"))
			}
			if _, err := os.Lstat(filepath.Join(outside, "pwned")); err == nil {
				t.Errorf("Extract wrote %s", filepath.Join(outside, "pwned"))
			}
			if fi, _ := os.Stat(outside); fi.Mode().Perm() != 0o755 {
				t.Errorf("Extract changed %s to %v", outside, fi.Mode())
			}
			if _, err := os.Lstat(filepath.Join(dir, "h")); err == nil {
				t.Errorf("Extract made hard link %s", filepath.Join(dir, "h"))
			}
		})
	}
}

// TestExtractReplacesSymlink: a regular file at a symlink's path replaces
// the symlink; the file it pointed to is untouched.
func TestExtractReplacesSymlink(t *testing.T) {
	base := t.TempDir()
	host := filepath.Join(base, "host")
	if err := os.WriteFile(host, []byte("host"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := Extract(tarOf(t, entry{name: "f", typ: tar.TypeSymlink, link: host}, entry{name: "f", body: "tar", mode: 0o755}), dir)
	if err != nil {
		t.Fatalf("Extract = %v", err)
	}
	if b, _ := os.ReadFile(host); string(b) != "host" {
		t.Errorf("host file = %q, want %q", b, "host")
	}
	fi, err := os.Lstat(filepath.Join(dir, "f"))
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o755 {
		t.Errorf("f = %v, %v, want a regular file, -rwxr-xr-x", fi, err)
	}
}

func TestExtract(t *testing.T) {
	archive := func() *bytes.Buffer {
		return tarOf(t,
			entry{name: "./", typ: tar.TypeDir, mode: 0o755},
			entry{name: "./usr/", typ: tar.TypeDir, mode: 0o755},
			entry{name: "./usr/bin/su", body: "su", mode: 0o4755},
			entry{name: "./usr/bin/true", body: "true", mode: 0o755},
			entry{name: "./usr/bin/also-true", typ: tar.TypeLink, link: "./usr/bin/true"},
			entry{name: "./tmp/", typ: tar.TypeDir, mode: 0o1777},
			entry{name: "./lib64/ld.so", typ: tar.TypeSymlink, link: "/lib/x86_64-linux-gnu/ld.so"},
			entry{name: "./usr/share/doc/README", body: "doc"},
			entry{name: "./dev/null", typ: tar.TypeChar, mode: 0o666},
		)
	}
	t.Run("all types", func(t *testing.T) {
		dir := t.TempDir()
		if err := Extract(archive(), dir); err != nil {
			t.Fatalf("Extract = %v", err)
		}
		for name, want := range map[string]fs.FileMode{
			"usr":           fs.ModeDir | 0o755,
			"usr/bin/su":    fs.ModeSetuid | 0o755,
			"usr/bin/true":  0o755,
			"tmp":           fs.ModeDir | fs.ModeSticky | 0o777,
			"lib64/ld.so":   fs.ModeSymlink,
			"usr/share/doc": fs.ModeDir | 0o755,
		} {
			fi, err := os.Lstat(filepath.Join(dir, name))
			if err != nil {
				t.Errorf("Lstat(%s) = %v", name, err)
				continue
			}
			if got := fi.Mode(); got != want && !(want == fs.ModeSymlink && got.Type() == want) {
				t.Errorf("mode of %s = %v, want %v", name, got, want)
			}
		}
		if got, _ := os.Readlink(filepath.Join(dir, "lib64/ld.so")); got != "/lib/x86_64-linux-gnu/ld.so" {
			t.Errorf("lib64/ld.so -> %q, want the absolute target as it is", got)
		}
		a, _ := os.Stat(filepath.Join(dir, "usr/bin/true"))
		b, _ := os.Stat(filepath.Join(dir, "usr/bin/also-true"))
		if a == nil || b == nil || !os.SameFile(a, b) {
			t.Errorf("usr/bin/also-true is not a hard link of usr/bin/true")
		}
		if _, err := os.Lstat(filepath.Join(dir, "dev/null")); err == nil {
			t.Errorf("dev/null extracted, want devices skipped")
		}
	})
	t.Run("regular only", func(t *testing.T) {
		dir := t.TempDir()
		if err := Extract(archive(), dir, RegularOnly()); err != nil {
			t.Fatalf("Extract = %v", err)
		}
		for _, name := range []string{"usr/bin/also-true", "lib64", "tmp"} {
			if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
				t.Errorf("%s extracted, want regular files only", name)
			}
		}
		if b, err := os.ReadFile(filepath.Join(dir, "usr/bin/true")); string(b) != "true" {
			t.Errorf("usr/bin/true = %q, %v, want %q", b, err, "true")
		}
	})
	t.Run("with name", func(t *testing.T) {
		dir := t.TempDir()
		rename := func(n string) string {
			n = strings.TrimPrefix(n, "./")
			if strings.HasPrefix(n, "usr/share/doc/") {
				return ""
			}
			if strings.HasPrefix(n, "usr/bin/") {
				return "bin/" + strings.TrimPrefix(n, "usr/bin/")
			}
			return n
		}
		if err := Extract(archive(), dir, WithName(rename)); err != nil {
			t.Fatalf("Extract = %v", err)
		}
		a, _ := os.Stat(filepath.Join(dir, "bin/true"))
		b, _ := os.Stat(filepath.Join(dir, "bin/also-true"))
		if a == nil || b == nil || !os.SameFile(a, b) {
			t.Errorf("bin/also-true is not a hard link of bin/true (targets renamed too)")
		}
		if _, err := os.Lstat(filepath.Join(dir, "usr/share/doc/README")); err == nil {
			t.Errorf("usr/share/doc/README extracted, want it skipped")
		}
	})
}

// TestExtractCreatesDir: a directory that does not exist yet (a fresh
// machine's first rootfs) is created, as are an entry's parents.
func TestExtractCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "rootfs")
	err := Extract(tarOf(t, entry{name: "./etc/", typ: tar.TypeDir, mode: 0o755}, entry{name: "./usr/share/x", body: "x"}), dir)
	if err != nil {
		t.Fatalf("Extract into a missing directory = %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "usr", "share", "x")); err != nil || string(b) != "x" {
		t.Errorf("usr/share/x = %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "etc")); err != nil || !fi.IsDir() {
		t.Errorf("etc = %v, %v, want a directory", fi, err)
	}
}
