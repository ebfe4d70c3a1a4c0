package publish

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"dagger/immutable/baselock"
)

// TestE2EMountFromBase publishes the project's runtime base plus one small
// layer into two new repositories of the real local registry: with the
// base in MountFrom its layers are mounted and only the small layer and the
// config are sent; without it every blob is sent (the control).
func TestE2EMountFromBase(t *testing.T) {
	repo := e2eRepo(t)
	reg, _, _ := strings.Cut(repo, "/")
	baseRef := baselock.Default().RuntimeRefIn(reg)
	ref, err := name.ParseReference(baseRef)
	if err != nil {
		t.Fatal(err)
	}
	remoteBase, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("runtime base %s: %v (run `go run ./ci up`)", baseRef, err)
	}
	// A local copy, as a release has it (go-containerregistry would mount
	// the layers of a remote image by itself).
	local := filepath.Join(t.TempDir(), "base.tar")
	if err := tarball.WriteToFile(local, ref, remoteBase); err != nil {
		t.Fatal(err)
	}
	base, err := tarball.ImageFromPath(local, nil)
	if err != nil {
		t.Fatal(err)
	}
	app, err := random.Layer(2048, "application/vnd.oci.image.layer.v1.tar+gzip")
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, app)
	if err != nil {
		t.Fatal(err)
	}
	baseLayers, err := base.Layers()
	if err != nil {
		t.Fatal(err)
	}
	appSize, _ := app.Size()
	cfg, _ := img.RawConfigFile()
	small := appSize + int64(len(cfg))

	o := testOptions()
	o.MountFrom = []string{baseRef}
	res, err := Publish(context.Background(), target(t, repo+"-mounted"), img, ver(t, "1.0.0"), Record{}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("with MountFrom: %d bytes in %d blobs, %d mounted, %d already there", res.BytesUploaded, res.BlobsUploaded, res.BlobsMounted, res.BlobsSkipped)
	if res.BlobsMounted != len(baseLayers) || res.BytesUploaded != small {
		t.Errorf("with MountFrom: %d mounted, %d bytes sent; want %d mounted, %d bytes (the app layer and config)", res.BlobsMounted, res.BytesUploaded, len(baseLayers), small)
	}
	if err := fetchAll(repo+"-mounted", res.Digest); err != nil {
		t.Errorf("mounted image incomplete: %v", err)
	}

	res, err = Publish(context.Background(), target(t, repo+"-uploaded"), img, ver(t, "1.0.0"), Record{}, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("without: %d bytes in %d blobs, %d mounted, %d already there", res.BytesUploaded, res.BlobsUploaded, res.BlobsMounted, res.BlobsSkipped)
	if res.BlobsMounted != 0 || res.BytesUploaded <= small {
		t.Errorf("without MountFrom: %d mounted, %d bytes sent; want 0 mounted and the base's layers sent", res.BlobsMounted, res.BytesUploaded)
	}
}
