package pipeline

import (
	"context"
	"strings"
	"testing"

	"dagger/immutable/internal/memregistry"
	"dagger/immutable/sign"
)

// TestSignImage signs through the pipeline wrappers and the release step
// against an in-memory registry.
func TestSignImage(t *testing.T) {
	ctx := context.Background()
	repo := memregistry.Start(t) + "/app"
	push := func() string { return memregistry.PushRandom(t, repo+":v1") }
	privPEM, pubPEM, err := sign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	d := push()
	o := ReleaseOptions{Registry: Registry{Repo: repo}, SigningKey: privPEM, SigningPassword: []byte("pw")}
	key, err := o.signingKey()
	if err != nil {
		t.Fatal(err)
	}
	if key == nil {
		t.Fatal("signingKey returned no key")
	}
	// A bare tag is taken in the registry's repository.
	reg := Registry{Repo: repo}
	signed, err := SignImage(ctx, reg, "v1", privPEM, []byte("pw"))
	if err != nil || signed.Digest != d || signed.Image != repo+":v1" {
		t.Fatalf("SignImage = %+v, %v, want %s:v1 at %s", signed, err, repo, d)
	}
	sd := signed.Signature
	v, err := VerifySignature(ctx, reg, repo+":v1", pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if v.SignatureDigest != sd {
		t.Errorf("signature digest %s, SignImage said %s", v.SignatureDigest, sd)
	}
	// Signatures are deterministic (RFC 6979): signing again with the
	// same key leaves the signature image as it is, not doubled.
	if again, err := SignImage(ctx, reg, repo+":v1", privPEM, []byte("pw")); err != nil || again.Signature != sd {
		t.Errorf("SignImage again = %+v, %v, want the unchanged %s", again, err, sd)
	}
	if _, err := (ReleaseOptions{SigningKey: privPEM, SigningPassword: []byte("nope")}).signingKey(); err == nil {
		t.Error("signingKey with a wrong password succeeded")
	}
	if k, err := (ReleaseOptions{}).signingKey(); k != nil || err != nil {
		t.Errorf("signingKey without a key = %v, %v, want nil, nil", k, err)
	}

	tampered := push()
	_, err = VerifySignature(ctx, Registry{}, repo+":v1", pubPEM)
	if err == nil || !strings.Contains(err.Error(), "now points at "+tampered) {
		t.Errorf("VerifySignature after retagging = %v, want it to name %s", err, tampered)
	}
}
