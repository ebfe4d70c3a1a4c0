package publish

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestReleasesSigned checks that Releases marks a version signed when a
// cosign signature tag exists for its digest, and Format shows it.
func TestReleasesSigned(t *testing.T) {
	repo := newRegistry(t, nil)
	o := testOptions()
	signed := mustPublish(t, repo, testImage(t, 1), "1.0.0", o)
	mustPublish(t, repo, testImage(t, 2), "1.1.0", o)
	// Any manifest under sha256-<hex>.sig counts; verifying it is sign's job.
	r, _ := name.NewRepository(repo)
	if err := remote.Write(r.Tag(strings.Replace(signed.Digest, ":", "-", 1)+".sig"), testImage(t, 3)); err != nil {
		t.Fatal(err)
	}
	h, err := Releases(context.Background(), target(t, repo), o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, rel := range h.Releases {
		got[rel.Version] = rel.Signed
	}
	if !got["1.0.0"] || got["1.1.0"] {
		t.Errorf("Signed = %v, want 1.0.0 only", got)
	}
	var b strings.Builder
	h.Format(&b)
	for _, want := range []string{"SIGNED", signed.Digest + "  yes", "no"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Format output lacks %q:\n%s", want, b.String())
		}
	}
}
