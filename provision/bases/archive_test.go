package bases

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestSaveLoad: the bases saved from one registry load into another (an
// air-gapped machine), with the runtime digest checked and the builder
// tagged for the lock; an archive for another lock is refused.
func TestSaveLoad(t *testing.T) {
	ctx := context.Background()
	from, to := testRegistry(t), testRegistry(t)
	l := testLock()
	rt, _ := random.Image(256, 2)
	bd, _ := random.Image(256, 3)
	d, _ := rt.Digest()
	l.Images.Runtime.Digest = d.String()
	l.Images.Builder.Digest = "sha256:" + strings.Repeat("1", 64) // drifted: the tag decides
	if err := Push(ctx, from, l, rt, bd); err != nil {
		t.Fatal(err)
	}
	arm, _ := random.Image(256, 2)
	ad, _ := arm.Digest()
	l.RuntimePlatforms[0].Image.Digest = ad.String()
	if err := PushPlatforms(ctx, from, l, []v1.Image{arm}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "bases.tar")
	if err := Save(ctx, from, l, file); err != nil {
		t.Fatal(err)
	}
	got, err := Load(ctx, file, to, l)
	if err != nil {
		t.Fatal(err)
	}
	bdd, _ := bd.Digest()
	if want := to + "/" + BuilderRepository + "@" + bdd.String(); got.BuilderRef() != want {
		t.Errorf("BuilderRef = %s, want %s", got.BuilderRef(), want)
	}
	tag, _ := name.NewTag(l.BuilderTagIn(to))
	if desc, err := remote.Head(tag); err != nil || desc.Digest != bdd {
		t.Errorf("builder tag in the new registry: %v %v", desc, err)
	}
	if !Present(ctx, to, saveLock(t, l)) {
		t.Error("Present is false after Load")
	}
	if ref, err := got.RuntimeRefInFor(to, "linux/arm64"); err != nil {
		t.Error(err)
	} else if _, err := remote.Head(mustDigest(t, ref)); err != nil {
		t.Errorf("the linux/arm64 runtime is not in the new registry: %v", err)
	}

	// An archive whose arm64 runtime is not the lock's is refused.
	moved := *l
	moved.RuntimePlatforms = append([]RuntimePlatform(nil), l.RuntimePlatforms...)
	moved.RuntimePlatforms[0].Image.Digest = "sha256:" + strings.Repeat("7", 64)
	if _, err := Load(ctx, file, to, &moved); err == nil || !strings.Contains(err.Error(), "linux/arm64 runtime is "+ad.String()) {
		t.Errorf("archive with another arm64 runtime: %v", err)
	}

	other := *l
	other.Node.Version = "24.99.0"
	if _, err := Load(ctx, file, to, &other); err == nil || !strings.Contains(err.Error(), "not the bases of this lock") {
		t.Errorf("archive for another lock: %v", err)
	}
}

func saveLock(t *testing.T, l *Lock) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bases.lock")
	if err := l.Save(p); err != nil {
		t.Fatal(err)
	}
	return p
}
