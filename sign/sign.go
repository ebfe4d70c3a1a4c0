package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"dagger/immutable/internal/regerr"
)

// What cosign names the parts of a signature image.
const (
	// SignatureAnnotation holds the base64 signature on each layer.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// SimpleSigningMediaType is the media type of a signature layer (the
	// payload JSON).
	SimpleSigningMediaType types.MediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
)

// Tag returns cosign's signature tag for an image digest:
// "sha256:abc..." -> "sha256-abc....sig".
func Tag(digest string) (string, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return "", fmt.Errorf("image digest %q: %w", digest, err)
	}
	return h.Algorithm + "-" + h.Hex + ".sig", nil
}

// Payload returns the simple-signing payload cosign signs for repo@digest;
// its docker-reference is the repository name, e.g. "localhost:5000/app".
func Payload(repo name.Repository, digest string) ([]byte, error) {
	d, err := name.NewDigest(repo.Name() + "@" + digest)
	if err != nil {
		return nil, fmt.Errorf("image digest %q: %w", digest, err)
	}
	b, err := payload.Cosign{Image: d}.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encoding signature payload: %w", err)
	}
	return b, nil
}

// Signature is a signature image ready to push: the signatures already
// under the .sig tag plus a new one.
type Signature struct {
	// Tag is where it goes: <repo>:sha256-<hex>.sig.
	Tag name.Tag
	// Image is the signature image.
	Image v1.Image
	// Digest is Image's manifest digest, what a release record keeps.
	Digest v1.Hash
	// Kept is how many signatures were already there and are kept.
	Kept int
	// Payload is the signed simple-signing payload and Base64 its
	// signature (the layer and annotation added), for other layouts of the
	// same signature (an OCI 1.1 referrer).
	Payload []byte
	Base64  string
	// Unchanged is true when the tag already held this very signature
	// (same payload and signature bytes): Image is what is there and
	// nothing needs writing.
	Unchanged bool
}

// New signs repo@digest with key and returns the signature image without
// pushing it. An existing signature image under the .sig tag is extended
// (cosign appends; it never drops signatures), so Digest depends on what the
// registry held when New ran. The key must be ECDSA (cosign's default,
// P-256) or RSA (PKCS#1 v1.5); the signature is over SHA-256 of the
// payload.
func New(ctx context.Context, repo name.Repository, digest string, key crypto.Signer, opts ...remote.Option) (*Signature, error) {
	tag, err := Tag(digest)
	if err != nil {
		return nil, err
	}
	p, err := Payload(repo, digest)
	if err != nil {
		return nil, err
	}
	sig, err := signPayload(key, p)
	if err != nil {
		return nil, err
	}
	s := &Signature{Tag: repo.Tag(tag), Payload: p, Base64: base64.StdEncoding.EncodeToString(sig)}
	base, err := existing(ctx, s.Tag, opts...)
	if err != nil {
		return nil, err
	}
	layer := static.NewLayer(p, SimpleSigningMediaType)
	ld, _ := layer.Digest() // static layers cannot fail
	if m, err := base.Manifest(); err == nil {
		s.Kept = len(m.Layers)
		for _, l := range m.Layers {
			// ECDSA signatures are deterministic (RFC 6979): signing
			// the same digest with the same key again gives this layer.
			if l.Digest == ld && l.Annotations[SignatureAnnotation] == s.Base64 {
				s.Image, s.Unchanged = base, true
			}
		}
	}
	if s.Image == nil {
		s.Image, err = mutate.Append(base, mutate.Addendum{
			Layer:       layer,
			Annotations: map[string]string{SignatureAnnotation: s.Base64},
		})
		if err != nil {
			return nil, fmt.Errorf("building signature image: %w", err)
		}
	}
	if s.Digest, err = s.Image.Digest(); err != nil {
		return nil, fmt.Errorf("building signature image: %w", err)
	}
	return s, nil
}

// Push writes the signature image and points its .sig tag at it; nothing
// when the tag already holds it (Unchanged).
func (s *Signature) Push(ctx context.Context, opts ...remote.Option) error {
	if s.Unchanged {
		return nil
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	if err := remote.Write(s.Tag, s.Image, opts...); err != nil {
		return fmt.Errorf("pushing signature %s: %w", s.Tag, err)
	}
	return nil
}

// Sign signs repo@digest with key, pushes the signature as cosign does
// (see New) and returns the signature image's digest.
func Sign(ctx context.Context, repo name.Repository, digest string, key crypto.Signer, opts ...remote.Option) (string, error) {
	s, err := New(ctx, repo, digest, key, opts...)
	if err != nil {
		return "", err
	}
	if err := s.Push(ctx, opts...); err != nil {
		return "", err
	}
	return s.Digest.String(), nil
}

// signPayload returns the ASN.1 signature of SHA-256(p), as cosign's
// signature.SignMessage makes it for ECDSA and RSA keys. The random source
// is nil, so ECDSA signatures are deterministic (RFC 6979, Go's
// crypto/ecdsa) and PKCS#1 v1.5 is deterministic anyway: re-signing the
// same digest with the same key gives the same signature.
func signPayload(key crypto.Signer, p []byte) ([]byte, error) {
	switch key.Public().(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey:
	default:
		return nil, fmt.Errorf("signing: %T keys are not supported (want ECDSA or RSA)", key.Public())
	}
	h := sha256.Sum256(p)
	sig, err := key.Sign(nil, h[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return sig, nil
}

// existing returns the signature image under tag, or cosign's empty
// signature image (OCI manifest and config media types) when there is none.
func existing(ctx context.Context, tag name.Tag, opts ...remote.Option) (v1.Image, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	img, err := remote.Image(tag, opts...)
	switch {
	case err == nil:
		return img, nil
	case isNotFound(err):
		return emptySignatures(), nil
	default:
		return nil, fmt.Errorf("reading existing signatures %s: %w", tag, err)
	}
}

// emptySignatures is cosign's empty.Signatures(): an empty OCI image.
func emptySignatures() v1.Image {
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(base, types.OCIConfigJSON)
}

// isNotFound is regerr.NotFound.
func isNotFound(err error) bool { return regerr.NotFound(err) }
