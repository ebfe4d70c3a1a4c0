package bases

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/memregistry"
	"dagger/immutable/provision/debs"
)

// testRegistry starts go-containerregistry's in-memory registry.
func testRegistry(t *testing.T) string {
	t.Helper()
	return memregistry.Start(t)
}

// pushRandom writes a random image for each locked image to reg, by the
// digest it sets in the lock.
func pushRandom(t *testing.T, reg string, ims ...*Image) {
	t.Helper()
	for _, im := range ims {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		im.Digest = d.String()
		ref, err := name.NewDigest(refIn(reg, *im))
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEnsureReusesPresentImages(t *testing.T) {
	reg := testRegistry(t)
	l := testLock()
	ims := []*Image{&l.Images.Runtime, &l.Images.Builder}
	for i := range l.RuntimePlatforms {
		ims = append(ims, &l.RuntimePlatforms[i].Image)
	}
	if len(ims) != 3 {
		t.Fatalf("testLock has %d images, want runtime, builder and the linux/arm64 runtime", len(ims))
	}
	pushRandom(t, reg, ims...)
	dir := t.TempDir()
	lockPath := filepath.Join(dir, "bases.lock")
	if err := l.Save(lockPath); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cache := filepath.Join(dir, "cache")
	got, err := Ensure(context.Background(), Options{Registry: reg, LockPath: lockPath, CacheDir: cache, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "reused") {
		t.Fatalf("log = %q, want reused", log.String())
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Fatalf("reuse touched the cache dir: %v", err)
	}
	if want := reg + "/immutable/node-runtime@" + l.Images.Runtime.Digest; got.RuntimeRef() != want {
		t.Fatalf("RuntimeRef = %s, want %s", got.RuntimeRef(), want)
	}
	if !Present(context.Background(), reg, lockPath) {
		t.Fatal("Present is false with every image in the registry")
	}
}

// TestEnsureBuildsMissingPlatform: a registry that has the amd64 runtime
// and the builder but not the linux/arm64 runtime is not Present, and
// Ensure builds only that runtime, from debs/arm64 beside the lock and the
// cached node package, never the network (the download seam fails). A
// digest other than the lock's is a MismatchError naming the platform; the
// locked one is pushed, tagged and makes the registry Present.
func TestEnsureBuildsMissingPlatform(t *testing.T) {
	reg := testRegistry(t)
	ctx := context.Background()
	l := testLock()
	pushRandom(t, reg, &l.Images.Runtime, &l.Images.Builder)
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	p := &l.RuntimePlatforms[0]
	// The platform's inputs: fake .debs in debs/arm64 and a fake node
	// package in the npm cache, pinned by their hashes.
	os.MkdirAll(filepath.Join(dir, "debs", "arm64"), 0o755)
	for i, d := range p.RuntimeDebs {
		b := fakeArchDeb(t, d.Name, "arm64")
		sum := sha256.Sum256(b)
		p.RuntimeDebs[i].SHA256 = hex.EncodeToString(sum[:])
		if err := os.WriteFile(filepath.Join(dir, "debs", "arm64", debs.Deb(p.RuntimeDebs[i]).FileName()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tgz := gzOf(tarOf(t,
		tar.Header{Typeflag: tar.TypeReg, Name: "package/bin/node", Mode: 0o755}, "\x7fELF aarch64",
		tar.Header{Typeflag: tar.TypeReg, Name: "package/LICENSE", Mode: 0o644}, "MIT",
	))
	sum := sha512.Sum512(tgz)
	p.Node.Integrity = "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	os.MkdirAll(filepath.Join(cache, "npm"), 0o755)
	if err := os.WriteFile(filepath.Join(cache, "npm", p.Node.Name+"-"+p.Node.Version+".tgz"), tgz, 0o644); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, "bases.lock")
	if err := l.Save(lockPath); err != nil {
		t.Fatal(err)
	}
	if Present(ctx, reg, lockPath) {
		t.Fatal("Present is true without the linux/arm64 runtime")
	}
	var log bytes.Buffer
	var downloads int
	o := Options{Registry: reg, LockPath: lockPath, CacheDir: cache, Log: &log,
		download: func(ctx context.Context, dir string, d debs.Deb, log io.Writer) error {
			downloads++
			return fmt.Errorf("offline")
		}}
	_, err := Ensure(ctx, o)
	var me *MismatchError
	if !errors.As(err, &me) || me.Platform != "linux/arm64" || !strings.Contains(err.Error(), "immutable/node-runtime (linux/arm64) built to") || !strings.Contains(err.Error(), "baselock/debs/arm64") {
		t.Fatalf("Ensure with a made-up arm64 digest: %v; want a MismatchError naming linux/arm64", err)
	}
	if downloads != 0 || !strings.Contains(log.String(), "building the linux/arm64 runtime") {
		t.Fatalf("%d downloads; log: %s", downloads, log.String())
	}

	p.Image.Digest = me.Built
	if err := l.Save(lockPath); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	got, err := Ensure(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if downloads != 0 || !strings.Contains(log.String(), "reused") {
		t.Errorf("%d downloads; log: %s", downloads, log.String())
	}
	if !Present(ctx, reg, lockPath) {
		t.Error("Present is false after Ensure built the linux/arm64 runtime")
	}
	ref, err := got.RuntimeRefInFor(reg, "linux/arm64")
	if err != nil || ref != reg+"/"+RuntimeRepository+"@"+me.Built {
		t.Fatalf("RuntimeRefInFor = %s, %v", ref, err)
	}
	img, err := remote.Image(mustDigest(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil || cf.Architecture != "arm64" || cf.OS != "linux" || cf.Config.User != "1000:1000" {
		t.Errorf("arm64 config: %+v, %v", cf, err)
	}
	for _, tag := range []string{l.Node.Version + "-arm64", l.Node.Version + "-" + l.InputsHash() + "-arm64"} {
		if d, err := remote.Head(mustTag(t, reg+"/"+RuntimeRepository+":"+tag)); err != nil || d.Digest.String() != me.Built {
			t.Errorf("tag %s: %v, %v", tag, d, err)
		}
	}
}

// fakeArchDeb is a .deb of name for arch holding one CA certificate (the
// runtime recipe needs at least one).
func fakeArchDeb(t *testing.T, name, arch string) []byte {
	data := tarOf(t,
		tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o755, ModTime: mtime}, nil,
		tar.Header{Typeflag: tar.TypeDir, Name: "./usr/", Mode: 0o755, ModTime: mtime}, nil,
		tar.Header{Typeflag: tar.TypeDir, Name: "./usr/share/", Mode: 0o755, ModTime: mtime}, nil,
		tar.Header{Typeflag: tar.TypeDir, Name: "./usr/share/ca-certificates/", Mode: 0o755, ModTime: mtime}, nil,
		tar.Header{Typeflag: tar.TypeReg, Name: "./usr/share/ca-certificates/" + name + ".crt", Mode: 0o644, ModTime: mtime}, "CERT "+name,
	)
	control := tarOf(t,
		tar.Header{Typeflag: tar.TypeReg, Name: "./control", Mode: 0o644}, "Package: "+name+"\nVersion: 1.0\nArchitecture: "+arch+"\n",
	)
	return arOf(
		[2][]byte{[]byte("debian-binary"), []byte("2.0\n")},
		[2][]byte{[]byte("control.tar.gz"), gzOf(control)},
		[2][]byte{[]byte("data.tar.xz"), xzOf(t, data)},
	)
}
