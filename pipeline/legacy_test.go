package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"dagger/immutable/internal/memregistry"
	"dagger/immutable/sbom"
	"dagger/immutable/sign"
)

// TestLegacyAttachmentsReadable: an image attached the way releases did
// before OCI 1.1 referrers (SBOM under sha256-<hex>.sbom, signature under
// .sig, no referrers) stays readable: sbom --digest finds the SBOM,
// verify-signature the signature, releases lists both, and verify-release
// names the missing provenance.
func TestLegacyAttachmentsReadable(t *testing.T) {
	ctx := context.Background()
	repo := memregistry.Start(t) + "/app"
	d := memregistry.PushRandom(t, repo+":v1.0.0")
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	bom := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6"}`)
	a, err := sbom.NewArtifact(d, bom)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Push(ctx, r); err != nil {
		t.Fatal(err)
	}
	privPEM, pubPEM, err := sign.GenerateKeyPair(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SignImage(ctx, Registry{}, repo+":v1.0.0", privPEM, nil); err != nil {
		t.Fatal(err)
	}

	got, err := FetchSBOM(ctx, Registry{Repo: repo}, d)
	if err != nil || string(got) != string(bom) {
		t.Errorf("FetchSBOM(legacy) = %q, %v, want the .sbom tag's document", got, err)
	}
	if _, err := VerifySignature(ctx, Registry{}, repo+":v1.0.0", pubPEM); err != nil {
		t.Errorf("VerifySignature(legacy) = %v", err)
	}
	h, err := Releases(ctx, Registry{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Releases) != 1 || strings.Join(h.Releases[0].Attestations, ",") != "signature,sbom(tag)" {
		t.Errorf("Releases(legacy) = %+v, want signature and sbom(tag)", h.Releases)
	}
	var b strings.Builder
	if h.Format(&b); !strings.Contains(b.String(), "ATTESTATIONS") || !strings.Contains(b.String(), "signature,sbom(tag)") {
		t.Errorf("History.Format = %q", b.String())
	}
	chk, err := VerifyRelease(ctx, Registry{}, repo+":v1.0.0", pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Check{}
	for _, c := range chk.Checks {
		byName[c.Name] = c
	}
	if !byName["signature"].OK || !byName["sbom"].OK || byName["provenance"].OK || !strings.Contains(byName["provenance"].Detail, "no SLSA provenance attached") {
		t.Errorf("VerifyRelease(legacy) checks = %+v", chk.Checks)
	}
	if chk.Err() == nil {
		t.Error("VerifyRelease(legacy) passed without provenance or record")
	}
}
