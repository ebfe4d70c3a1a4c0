package repro

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestOCITarballRoundTrip(t *testing.T) {
	a, _, _ := appImages(t)
	img, err := Normalize(a, epoch, SkipLayers(1))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p1, p2 := filepath.Join(dir, "1.tar"), filepath.Join(dir, "2.tar")
	for _, p := range []string{p1, p2} {
		if err := WriteOCITarball(img, p); err != nil {
			t.Fatal(err)
		}
	}
	if h1, h2 := fileHash(t, p1), fileHash(t, p2); h1 != h2 {
		t.Errorf("WriteOCITarball is not deterministic: %x != %x", h1, h2)
	}
	names, err := tarNames(p1)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"oci-layout", "index.json", "manifest.json"} {
		if !names[n] {
			t.Errorf("tarball has no %s", n)
		}
	}
	back, err := LoadTarball(p1)
	if err != nil {
		t.Fatal(err)
	}
	// The stored OCI manifest is used, so the digest survives.
	if digest(t, back) != digest(t, img) {
		t.Errorf("LoadTarball digest %s, wrote %s", digest(t, back), digest(t, img))
	}
	r, err := Diff(img, back)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Equal {
		t.Errorf("round trip differs:\n%s", r)
	}
	// Layers are readable (lazily, from the file).
	layers, _ := back.Layers()
	if hs := entries(t, layers[2]); len(hs) != 2 || hs[0].Name != "app/app.js" {
		t.Errorf("layer 2 entries = %v", hs)
	}
}

func TestLoadDockerSave(t *testing.T) {
	img := image(t, t1, false, nil, layer(t, []file{{name: "app/app.js", body: "ok"}}))
	p := filepath.Join(t.TempDir(), "docker.tar")
	ref, _ := name.ParseReference("example.com/app:1.0.0")
	if err := tarball.WriteToFile(p, ref, img); err != nil {
		t.Fatal(err)
	}
	back, err := LoadTarball(p)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, back) != digest(t, img) {
		t.Errorf("LoadTarball(docker save) digest %s, want %s", digest(t, back), digest(t, img))
	}
}

// TestLoadNestedIndex reads the shape of a multi-platform export: index.json
// pointing at an image index that lists the manifest.
func TestLoadNestedIndex(t *testing.T) {
	a, _, _ := appImages(t)
	dir := t.TempDir()
	lp, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendIndex(mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: a})); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "nested.tar")
	tarDir(t, filepath.Join(dir, "layout"), p)
	back, err := LoadTarball(p)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, back) != digest(t, a) {
		t.Errorf("LoadTarball(nested index) digest %s, want %s", digest(t, back), digest(t, a))
	}
}

func TestLoadTarballErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.tar")
	if err := os.WriteFile(junk, tarBytes(t, file{name: "hello.txt", body: "hi"}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{junk, "neither an OCI layout"},
		{filepath.Join(dir, "missing.tar"), "no such file"},
	} {
		if _, err := LoadTarball(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadTarball(%s) error = %v, want %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}

func fileHash(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// tarDir tars the regular files under dir into dst, as an exporter would.
func tarDir(t *testing.T, dir, dst string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, _ := f.Stat()
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: fi.Size(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
