package pipeline

import (
	"context"
	"crypto"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/publish"
	"dagger/immutable/sign"
)

// SignImage signs ref (repo@digest, or repo:tag resolved to the digest it
// points at now) with a PEM private key (cosign's encrypted format,
// decrypted with password, or unencrypted PKCS#8/EC) and pushes the
// signature the way cosign does (sha256-<hex>.sig, appended to existing
// signatures). It returns the signed digest and the signature image's
// digest.
func SignImage(ctx context.Context, ref string, keyPEM, password []byte, o publish.Options) (digest, sigDigest string, err error) {
	key, err := sign.LoadPrivateKey(keyPEM, password)
	if err != nil {
		return "", "", err
	}
	r, ropts, err := refOptions(ctx, ref, o)
	if err != nil {
		return "", "", err
	}
	repo, digest, err := sign.Resolve(ctx, r, ropts...)
	if err != nil {
		return "", "", err
	}
	sigDigest, err = sign.Sign(ctx, repo, digest, key, ropts...)
	return digest, sigDigest, err
}

// VerifySignature checks that ref (repo:tag or repo@digest; a tag is
// resolved to the digest it points at now) carries a cosign signature made
// with the PEM public key pubPEM over exactly that digest.
func VerifySignature(ctx context.Context, ref string, pubPEM []byte, o publish.Options) (*sign.Verified, error) {
	pub, err := sign.LoadPublicKey(pubPEM)
	if err != nil {
		return nil, err
	}
	r, ropts, err := refOptions(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	return sign.VerifyRef(ctx, r, pub, ropts...)
}

// refOptions parses an image reference and maps o onto remote options.
func refOptions(ctx context.Context, ref string, o publish.Options) (name.Reference, []remote.Option, error) {
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, nil, fmt.Errorf("image reference %q: %w (want e.g. localhost:5000/app:v1.2.3 or ...@sha256:...)", ref, err)
	}
	_, ropts, err := publish.RemoteOptions(ctx, r.Context().String(), o)
	if err != nil {
		return nil, nil, err
	}
	return r, ropts, nil
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
