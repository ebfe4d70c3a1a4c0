package sign

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"

	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// maxPayloadSize bounds how much of a signature layer is read.
const maxPayloadSize = 1 << 20

// Verified describes a successful verification.
type Verified struct {
	// Ref is the image verified, repo@digest.
	Ref name.Digest
	// Tag is the signature tag, <repo>:sha256-<hex>.sig.
	Tag name.Tag
	// SignatureDigest is the signature image's manifest digest.
	SignatureDigest string
	// Valid is how many signatures verified with the key; Total is how many
	// signature layers there are.
	Valid, Total int
}

// Format writes what was verified (its text form; the JSON form is its
// fields).
func (v *Verified) Format(w io.Writer) {
	fmt.Fprintf(w, "verified %s: %d of %d signatures valid\n  signatures: %s (%s)\n", v.Ref, v.Valid, v.Total, v.Tag, v.SignatureDigest)
}

// Verify checks that repo@digest carries a cosign signature made with pub:
// a layer of the sha256-<hex>.sig image whose signature verifies over its
// payload and whose payload names exactly digest. It fails, saying why for
// each signature, when none does; when there is no signature image at all
// the error says so and that the image may not be the one that was signed.
// The payload's docker-reference is not checked (cosign does not either).
func Verify(ctx context.Context, repo name.Repository, digest string, pub crypto.PublicKey, opts ...remote.Option) (*Verified, error) {
	tag, err := Tag(digest)
	if err != nil {
		return nil, err
	}
	ref, err := name.NewDigest(repo.Name() + "@" + digest)
	if err != nil {
		return nil, fmt.Errorf("image digest %q: %w", digest, err)
	}
	verifier, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading verifier: %w", err)
	}
	v := &Verified{Ref: ref, Tag: repo.Tag(tag)}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	img, err := remote.Image(v.Tag, opts...)
	if isNotFound(err) {
		return nil, fmt.Errorf("verifying %s: no signature: %s does not exist (the image was never signed, or it is not the image that was signed)", ref, v.Tag)
	}
	if err != nil {
		return nil, fmt.Errorf("verifying %s: reading signatures %s: %w", ref, v.Tag, err)
	}
	h, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("verifying %s: %w", ref, err)
	}
	v.SignatureDigest = h.String()
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("verifying %s: reading signatures %s: %w", ref, v.Tag, err)
	}
	var why []string
	for i, l := range m.Layers {
		if l.MediaType != SimpleSigningMediaType {
			continue
		}
		v.Total++
		if err := verifyLayer(repo, l, digest, verifier, opts); err != nil {
			why = append(why, fmt.Sprintf("signature %d: %v", i+1, err))
			continue
		}
		v.Valid++
	}
	if v.Valid == 0 {
		if v.Total == 0 {
			return nil, fmt.Errorf("verifying %s: %s has no %s layers", ref, v.Tag, SimpleSigningMediaType)
		}
		return nil, fmt.Errorf("verifying %s: none of %d signatures is valid for this digest and key: %s", ref, v.Total, strings.Join(why, "; "))
	}
	return v, nil
}

// verifyLayer checks one signature layer: signature over the payload, then
// the payload's digest claim.
func verifyLayer(repo name.Repository, l v1.Descriptor, digest string, verifier signature.Verifier, opts []remote.Option) error {
	b64 := l.Annotations[SignatureAnnotation]
	if b64 == "" {
		return fmt.Errorf("no %s annotation", SignatureAnnotation)
	}
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fmt.Errorf("decoding signature: %w", err)
	}
	if l.Size > maxPayloadSize {
		return fmt.Errorf("payload of %d bytes is too large", l.Size)
	}
	blob, err := remote.Layer(repo.Digest(l.Digest.String()), opts...)
	if err != nil {
		return fmt.Errorf("fetching payload: %w", err)
	}
	rc, err := blob.Compressed()
	if err != nil {
		return fmt.Errorf("fetching payload: %w", err)
	}
	defer rc.Close()
	p, err := io.ReadAll(io.LimitReader(rc, maxPayloadSize))
	if err != nil {
		return fmt.Errorf("reading payload: %w", err)
	}
	if err := verifier.VerifySignature(bytes.NewReader(sig), bytes.NewReader(p)); err != nil {
		return fmt.Errorf("does not verify with the given public key: %w", err)
	}
	var sci payload.SimpleContainerImage
	if err := json.Unmarshal(p, &sci); err != nil {
		return fmt.Errorf("decoding payload: %w", err)
	}
	if sci.Critical.Type != payload.CosignSignatureType {
		return fmt.Errorf("payload type %q is not %q", sci.Critical.Type, payload.CosignSignatureType)
	}
	if got := sci.Critical.Image.DockerManifestDigest; got != digest {
		return fmt.Errorf("signed payload is for digest %s, not %s (the image was changed after signing)", got, digest)
	}
	return nil
}

// Resolve returns the repository and digest ref names: a digest reference
// as is, a tag resolved with a HEAD request (so verifying a tag checks the
// image the tag points at now).
func Resolve(ctx context.Context, ref name.Reference, opts ...remote.Option) (name.Repository, string, error) {
	if d, ok := ref.(name.Digest); ok {
		return d.Context(), d.DigestStr(), nil
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	desc, err := remote.Head(ref, opts...)
	if err != nil {
		return name.Repository{}, "", fmt.Errorf("resolving %s: %w", ref, err)
	}
	return ref.Context(), desc.Digest.String(), nil
}

// VerifyRef resolves ref (tag or digest) and verifies it. For a tag the
// error names the tag and the digest it points at, so a retagged
// (tampered) image reads as such.
func VerifyRef(ctx context.Context, ref name.Reference, pub crypto.PublicKey, opts ...remote.Option) (*Verified, error) {
	repo, digest, err := Resolve(ctx, ref, opts...)
	if err != nil {
		return nil, err
	}
	v, err := Verify(ctx, repo, digest, pub, opts...)
	if _, isTag := ref.(name.Tag); err != nil && isTag {
		return nil, fmt.Errorf("%s now points at %s: %w", ref, digest, err)
	}
	return v, err
}
