package publish

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"dagger/immutable/internal/testenv"
)

// testIndex is a two-platform OCI index of seeded images.
func testIndex(t *testing.T, seed int64) v1.ImageIndex {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i, arch := range []string{"amd64", "arm64"} {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        testImage(t, seed+int64(i)),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	return idx
}

// TestPublishIndex releases a multi-platform index: every tag points at
// the index, each platform's image is in the registry by digest, and the
// same index again is a no-op while another one is refused.
func TestPublishIndex(t *testing.T) {
	repo := newRegistry(t, nil)
	o := testOptions()
	idx := testIndex(t, 10)
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	res := mustPublish(t, repo, idx, "1.0.0", o)
	if res.Digest != d.String() || res.Record.Digest != d.String() {
		t.Fatalf("published %s (record %s), want the index %s", res.Digest, res.Record.Digest, d)
	}
	tags := testenv.Tags(t, repo)
	for _, tag := range []string{"v1.0.0", "v1.0", "v1", "latest"} {
		if tags[tag] != d.String() {
			t.Errorf("%s -> %s, want the index %s", tag, tags[tag], d)
		}
	}
	ref, _ := name.NewDigest(repo + "@" + d.String())
	got, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("reading the index back: %v", err)
	}
	m, err := got.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 2 || m.Manifests[1].Platform == nil || m.Manifests[1].Platform.Architecture != "arm64" {
		t.Fatalf("index manifests = %+v, want amd64 and arm64", m.Manifests)
	}
	for _, md := range m.Manifests {
		if _, err := remote.Image(ref.Context().Digest(md.Digest.String())); err != nil {
			t.Errorf("platform image %s not in the registry: %v", md.Digest, err)
		}
	}

	again := mustPublish(t, repo, testIndex(t, 10), "1.0.0", o)
	if !again.AlreadyReleased || again.BytesUploaded != 0 {
		t.Errorf("same index again = %+v, want AlreadyReleased with 0 bytes", again)
	}
	if _, err := Publish(t.Context(), target(t, repo), testIndex(t, 20), ver(t, "1.0.0"), Record{}, o); err == nil {
		t.Error("another index as 1.0.0 was accepted, want refusal")
	}
}
