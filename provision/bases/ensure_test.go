package bases

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/memregistry"
)

// testRegistry starts go-containerregistry's in-memory registry.
func testRegistry(t *testing.T) string {
	t.Helper()
	return memregistry.Start(t)
}

func TestEnsureReusesPresentImages(t *testing.T) {
	reg := testRegistry(t)
	l := testLock()
	for _, im := range []*Image{&l.Images.Runtime, &l.Images.Builder} {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		im.Digest = d.String()
		ref, _ := name.NewDigest(refIn(reg, *im))
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
	}
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
}

func TestEnsureErrors(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// No lock and no Relock.
	if _, err := Ensure(ctx, Options{Registry: "-", LockPath: filepath.Join(dir, "none.lock"), CacheDir: dir}); err == nil || !strings.Contains(err.Error(), "go run ./ci bases update") {
		t.Fatalf("missing lock: %v", err)
	}
	// A lock without digests.
	l := NewLock()
	p := filepath.Join(dir, "bases.lock")
	if err := l.Save(p); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(ctx, Options{Registry: "-", LockPath: p, CacheDir: dir}); err == nil || !strings.Contains(err.Error(), "go run ./ci bases update") {
		t.Fatalf("lock without digests: %v", err)
	}
}
