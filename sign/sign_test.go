package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestTag(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		digest, want string
		err          bool
	}{
		{digest: "sha256:" + hex, want: "sha256-" + hex + ".sig"},
		{digest: "sha256:abc", err: true},
		{digest: hex, err: true},
	} {
		got, err := Tag(tc.digest)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("Tag(%q) = %q, %v, want %q (error %v)", tc.digest, got, err, tc.want, tc.err)
		}
	}
}

func TestPayload(t *testing.T) {
	repo := newRepo(t)
	d := "sha256:" + strings.Repeat("0f", 32)
	got, err := Payload(repo, d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"critical":{"identity":{"docker-reference":"` + repo.Name() + `"},"image":{"docker-manifest-digest":"` + d + `"},"type":"cosign container image signature"},"optional":null}`
	if string(got) != want {
		t.Errorf("Payload = %s, want %s", got, want)
	}
}

// TestSignatureImage checks the signature image has cosign's shape, down to
// the config bytes cosign v2 writes.
func TestSignatureImage(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t)
	d := pushImage(t, repo, "v1", 1)
	key, _, _, _ := keyPair(t, "pw")
	sd, err := Sign(ctx, repo, d, key)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := Tag(d)
	img, err := remote.Image(repo.Tag(tag))
	if err != nil {
		t.Fatal(err)
	}
	if got := digestOf(t, img); got != sd {
		t.Errorf("Sign = %s, tag %s points at %s", sd, tag, got)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || m.Config.MediaType != "application/vnd.oci.image.config.v1+json" {
		t.Errorf("media types %s, %s, want OCI manifest and config", m.MediaType, m.Config.MediaType)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != SimpleSigningMediaType || m.Layers[0].Annotations[SignatureAnnotation] == "" {
		t.Fatalf("layers = %+v, want one %s layer with %s", m.Layers, SimpleSigningMediaType, SignatureAnnotation)
	}
	p, _ := Payload(repo, d)
	if m.Layers[0].Size != int64(len(p)) {
		t.Errorf("layer size %d, want payload size %d", m.Layers[0].Size, len(p))
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["%s"]},"config":{}}`, m.Layers[0].Digest)
	if string(cfg) != want {
		t.Errorf("config = %s, want %s", cfg, want)
	}
}

func TestSignAppends(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t)
	d := pushImage(t, repo, "v1", 1)
	k1, p1, _, _ := keyPair(t, "one")
	k2, p2, _, _ := keyPair(t, "two")
	if _, err := Sign(ctx, repo, d, k1); err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, repo, d, k2)
	if err != nil {
		t.Fatal(err)
	}
	if s.Kept != 1 {
		t.Errorf("Kept = %d, want 1", s.Kept)
	}
	if err := s.Push(ctx); err != nil {
		t.Fatal(err)
	}
	for i, pub := range []any{p1, p2} {
		v, err := Verify(ctx, repo, d, pub)
		if err != nil {
			t.Fatalf("key %d: %v", i+1, err)
		}
		if v.Valid != 1 || v.Total != 2 || v.SignatureDigest != s.Digest.String() {
			t.Errorf("key %d: Verify = %+v, want 1 of 2 valid in %s", i+1, v, s.Digest)
		}
	}
}

func TestVerifyFails(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t)
	signed := pushImage(t, repo, "v1", 1)
	key, pub, _, _ := keyPair(t, "pw")
	_, other, _, _ := keyPair(t, "pw")
	if _, err := Sign(ctx, repo, signed, key); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, repo, signed, pub); err != nil {
		t.Fatalf("Verify(signed) = %v", err)
	}
	// "copied": another image whose .sig tag holds a copy of the signed
	// image's signatures.
	copied := pushImage(t, repo, "copied", 2)
	st, _ := Tag(signed)
	ct, _ := Tag(copied)
	sigImg, err := remote.Image(repo.Tag(st))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag(ct), sigImg); err != nil {
		t.Fatal(err)
	}
	unsigned := pushImage(t, repo, "unsigned", 3)

	for _, tc := range []struct {
		name, ref string
		pub       any
		want      string
	}{
		{"wrong key", repo.Name() + "@" + signed, other, "does not verify with the given public key"},
		{"unsigned", repo.Name() + "@" + unsigned, pub, "no signature: " + repo.Name() + ":sha256-"},
		{"copied signature", repo.Name() + "@" + copied, pub, "signed payload is for digest " + signed + ", not " + copied},
		{"retagged", repo.Name() + ":v1", pub, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "retagged" {
				// Tamper: another image under the signed tag.
				tampered := pushImage(t, repo, "v1", 4)
				tc.want = repo.Name() + ":v1 now points at " + tampered + ": verifying " + repo.Name() + "@" + tampered + ": no signature"
			}
			_, err := VerifyRef(ctx, mustRef(t, tc.ref), tc.pub)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("VerifyRef(%s) = %v, want error containing %q", tc.ref, err, tc.want)
			}
		})
	}
}

func TestLoadPrivateKey(t *testing.T) {
	encPEM, _, err := GenerateKeyPair([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(encPEM), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----") {
		t.Fatalf("GenerateKeyPair wrote %.50q, want an ENCRYPTED SIGSTORE PRIVATE KEY", encPEM)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ec)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(ed)
	enc := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }

	for _, tc := range []struct {
		name     string
		pem      []byte
		password string
		err      string
	}{
		{"encrypted", encPEM, "secret", ""},
		{"wrong password", encPEM, "nope", "wrong password?"},
		{"pkcs8", enc("PRIVATE KEY", pkcs8), "", ""},
		{"sec1", enc("EC PRIVATE KEY", sec1), "ignored", ""},
		{"ed25519", enc("PRIVATE KEY", edDER), "", "not supported"},
		{"garbage", []byte("hello"), "", "PEM decoding failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadPrivateKey(tc.pem, []byte(tc.password))
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("LoadPrivateKey = %v, want error %q", err, tc.err)
			}
		})
	}
}
