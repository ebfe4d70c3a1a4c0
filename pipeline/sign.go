package pipeline

import (
	"context"
	"crypto"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"

	"dagger/immutable/publish"
	"dagger/immutable/sign"
)

// SignReport is what the sign flow did.
type SignReport struct {
	// Image is the reference signed, as given (a tag or a digest).
	Image string `json:"image"`
	// Digest is the digest signed (a tag resolved when signing).
	Digest string `json:"digest"`
	// Signature is the cosign signature image's digest.
	Signature string `json:"signature"`
}

// Format writes what was signed.
func (r *SignReport) Format(w io.Writer) {
	fmt.Fprintf(w, "signed %s (%s)\n  signature: %s\n", r.Image, r.Digest, r.Signature)
}

// SignImage signs image (repo@digest, or repo:tag resolved to the digest
// it points at now; a bare tag or digest is taken in reg.Repo, see
// Registry.ImageRef) with a PEM private key (cosign's encrypted format,
// decrypted with password, or unencrypted PKCS#8/EC) and pushes the
// signature the way cosign does (sha256-<hex>.sig, appended to existing
// signatures): the sign flow of both doors.
func SignImage(ctx context.Context, reg Registry, image string, keyPEM, password []byte) (*SignReport, error) {
	key, err := sign.LoadPrivateKey(keyPEM, password)
	if err != nil {
		return nil, err
	}
	ref := reg.ImageRef(image)
	r, t, err := imageTarget(ctx, reg, ref)
	if err != nil {
		return nil, err
	}
	repo, digest, err := sign.Resolve(ctx, r, t.Remote()...)
	if err != nil {
		return nil, err
	}
	sig, err := sign.Sign(ctx, repo, digest, key, t.Remote()...)
	if err != nil {
		return nil, err
	}
	return &SignReport{Image: ref, Digest: digest, Signature: sig}, nil
}

// VerifySignature checks that image (as SignImage takes it; a tag is
// resolved to the digest it points at now) carries a cosign signature made
// with the PEM public key pubPEM over exactly that digest: the
// verify-signature flow of both doors.
func VerifySignature(ctx context.Context, reg Registry, image string, pubPEM []byte) (*sign.Verified, error) {
	pub, err := sign.LoadPublicKey(pubPEM)
	if err != nil {
		return nil, err
	}
	r, t, err := imageTarget(ctx, reg, reg.ImageRef(image))
	if err != nil {
		return nil, err
	}
	return sign.VerifyRef(ctx, r, pub, t.Remote()...)
}

// imageTarget parses ref with reg's access and makes the target of its
// repository (which may differ from reg.Repo), reached the same way.
func imageTarget(ctx context.Context, reg Registry, ref string) (name.Reference, *publish.Target, error) {
	r, err := reg.Access.Reference(ref)
	if err != nil {
		return nil, nil, err
	}
	t, err := publish.NewTarget(ctx, r.Context().String(), reg.Access)
	if err != nil {
		return nil, nil, err
	}
	return r, t, nil
}

// signingKey loads o.SigningKey; nil when no key is given.
func (o ReleaseOptions) signingKey() (crypto.Signer, error) {
	if len(o.SigningKey) == 0 {
		return nil, nil
	}
	key, err := sign.LoadPrivateKey(o.SigningKey, o.SigningPassword)
	if err != nil {
		return nil, fmt.Errorf("release: signing key: %w", err)
	}
	return key, nil
}
