package debs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func pin(name string, content []byte) Deb {
	s := sha256.Sum256(content)
	return Deb{Name: name, Version: "1:1.0-1", SHA256: hex.EncodeToString(s[:])}
}

// TestFetch: a mirror copy wins and nothing is downloaded; a copy with the
// wrong sha256 is ignored; a download is checked and cached; a download
// with the wrong bytes fails naming both hashes.
func TestFetch(t *testing.T) {
	ctx := context.Background()
	mirror, cache := t.TempDir(), t.TempDir()
	good := []byte("the real package")
	d := pin("libfoo", good)
	var downloads int
	serve := func(content []byte) DownloadFunc {
		return func(ctx context.Context, dir string, got Deb, log io.Writer) error {
			downloads++
			return os.WriteFile(filepath.Join(dir, "x.deb"), content, 0o644)
		}
	}
	f := Fetcher{Mirrors: []string{mirror}, CacheDir: cache, Download: serve(good)}

	if err := os.WriteFile(filepath.Join(mirror, d.FileName()), good, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := f.Fetch(ctx, d); err != nil || filepath.Dir(p) != mirror || downloads != 0 {
		t.Fatalf("mirror copy: %s, %v, %d downloads", p, err, downloads)
	}
	if !strings.Contains(d.FileName(), "%3a") {
		t.Errorf("FileName %q keeps the epoch's colon", d.FileName())
	}

	if err := os.WriteFile(filepath.Join(mirror, d.FileName()), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := f.Fetch(ctx, d)
	if err != nil || filepath.Dir(p) != cache || downloads != 1 {
		t.Fatalf("tampered mirror copy: %s, %v, %d downloads; want a checked download into the cache", p, err, downloads)
	}
	if _, err := f.Fetch(ctx, d); err != nil || downloads != 1 {
		t.Fatalf("second fetch: %v, %d downloads; want the cached copy", err, downloads)
	}

	other := pin("libbar", []byte("expected"))
	f.Download = serve([]byte("something else"))
	if _, err := f.Fetch(ctx, other); err == nil || !strings.Contains(err.Error(), other.SHA256) {
		t.Errorf("wrong bytes downloaded: %v, want an error naming the pinned sha256", err)
	}
	f.Download = func(context.Context, string, Deb, io.Writer) error {
		return errors.New("E: Version '1:1.0-1' for 'libgone' was not found")
	}
	if _, err := f.Fetch(ctx, pin("libgone", []byte("x"))); err == nil || !strings.Contains(err.Error(), "was not found") {
		t.Errorf("gone from the mirror: %v", err)
	}
}

func TestParseControl(t *testing.T) {
	got := ParseControl([]byte("Package: a\nVersion: 1\nDescription: one\n two\n\nPackage: b\nVersion: 2\n"))
	if len(got) != 2 || got[0]["Description"] != "one\ntwo" || got[1]["Version"] != "2" {
		t.Errorf("ParseControl = %v", got)
	}
}

// TestAptIsolated: apt for another architecture keeps its state in its own
// directory (an empty dpkg status, its own lists and archives) and never
// names the host's.
func TestAptIsolated(t *testing.T) {
	a := Apt{Arch: "arm64", Dir: t.TempDir()}
	if err := a.prepare(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(a.Dir, "state", "status")); err != nil || len(b) != 0 {
		t.Errorf("status: %q, %v; want an empty file", b, err)
	}
	for _, d := range []string{"state/lists/partial", "cache/archives/partial"} {
		if fi, err := os.Stat(filepath.Join(a.Dir, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
	opts := strings.Join(a.options(), " ")
	for _, want := range []string{"Dir::State=" + a.Dir, "Dir::State::status=" + a.Dir, "Dir::Cache=" + a.Dir, "APT::Architecture=arm64", "APT::Architectures::=arm64"} {
		if !strings.Contains(opts, want) {
			t.Errorf("options lack %q: %s", want, opts)
		}
	}
	if strings.Contains(opts, "/var/lib/dpkg") || strings.Contains(opts, "/var/lib/apt") {
		t.Errorf("options name the host's state: %s", opts)
	}
	if err := (Apt{Arch: "arm64"}).prepare(); err == nil {
		t.Error("Apt without a directory: want an error")
	}
}
