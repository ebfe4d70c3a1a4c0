package pipeline_test

import (
	"archive/tar"
	"encoding/json"
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/artifact"
	"dagger/immutable/publish"
)

// publishedImage fetches ref (repo@sha256:… or repo:tag) from the registry.
func publishedImage(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatalf("fetching %s: %v", ref, err)
	}
	return img
}

// imageFiles lists the image's merged file system: path (no leading "/")
// to tar header.
func imageFiles(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("reading image files: %v", err)
		}
		files[h.Name] = h
	}
}

// publishedRecord reads the release record of versionTag from repo.
func publishedRecord(t *testing.T, repo, versionTag string) publish.Record {
	t.Helper()
	tag, err := name.NewTag(repo + ":" + versionTag + "_release")
	if err != nil {
		t.Fatal(err)
	}
	b, err := artifact.Read(tag, publish.RecordMediaType, 1<<20)
	if err != nil {
		t.Fatalf("reading release record %s: %v", tag, err)
	}
	var rec publish.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}
