package attest

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"dagger/immutable/internal/regerr"
)

// cosignSignatureAnnotation is on every cosign signature and attestation
// layer (empty for attestations: the signature is in the envelope).
const cosignSignatureAnnotation = "dev.cosignproject.cosign/signature"

// AttestationTag returns cosign's attestation tag for an image digest:
// "sha256:abc..." -> "sha256-abc....att".
func AttestationTag(digest string) (string, error) { return suffixTag(digest, ".att") }

// FallbackTag returns the OCI referrers tag schema's tag for an image
// digest: "sha256:abc..." -> "sha256-abc...".
func FallbackTag(digest string) (string, error) { return suffixTag(digest, "") }

func suffixTag(digest, suffix string) (string, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return "", fmt.Errorf("attest: image digest %q: %w", digest, err)
	}
	return h.Algorithm + "-" + h.Hex + suffix, nil
}

// Envelope is a signed DSSE attestation for cosign's .att image.
type Envelope struct {
	// Body is the DSSE envelope JSON.
	Body []byte
	// PredicateType is the statement's predicate type.
	PredicateType string
}

// CosignImage is an image for one of cosign's tags (.sig or .att), with
// what is already there kept.
type CosignImage struct {
	// Tag is where it goes.
	Tag name.Tag
	// Image is the image to write; Digest its digest.
	Image  v1.Image
	Digest v1.Hash
	// Unchanged is true when the tag already holds Image: nothing to write.
	Unchanged bool
}

// NewAttestations returns cosign's attestation image for repo@digest: the
// attestations already under sha256-<hex>.att plus envs, each layer
// once (an envelope already there is not added again), in cosign's layout:
// one application/vnd.dsse.envelope.v1+json layer per attestation,
// annotated with its predicateType.
func NewAttestations(ctx context.Context, repo name.Repository, digest string, envs []Envelope, opts ...remote.Option) (*CosignImage, error) {
	tag, err := AttestationTag(digest)
	if err != nil {
		return nil, err
	}
	c := &CosignImage{Tag: repo.Tag(tag)}
	base, existed, err := existingCosignImage(ctx, c.Tag, opts...)
	if err != nil {
		return nil, err
	}
	have := map[v1.Hash]bool{}
	if m, err := base.Manifest(); err == nil {
		for _, l := range m.Layers {
			have[l.Digest] = true
		}
	}
	img := base
	for _, e := range envs {
		l := static.NewLayer(e.Body, DSSEMediaType)
		d, _ := l.Digest()
		if have[d] {
			continue
		}
		have[d] = true
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, Annotations: map[string]string{
			AnnotationPredicateType: e.PredicateType, cosignSignatureAnnotation: "",
		}})
		if err != nil {
			return nil, fmt.Errorf("attest: building %s: %w", c.Tag, err)
		}
	}
	c.Image = img
	c.Unchanged = existed && img == base
	if c.Digest, err = img.Digest(); err != nil {
		return nil, fmt.Errorf("attest: building %s: %w", c.Tag, err)
	}
	return c, nil
}

// existingCosignImage reads the image under tag, or cosign's empty
// signatures image (OCI manifest and config media types) when there is none.
func existingCosignImage(ctx context.Context, tag name.Tag, opts ...remote.Option) (v1.Image, bool, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	img, err := remote.Image(tag, opts...)
	switch {
	case err == nil:
		return img, true, nil
	case isNotFound(err):
		base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		return mutate.ConfigMediaType(base, types.OCIConfigJSON), false, nil
	default:
		return nil, false, fmt.Errorf("attest: reading %s: %w", tag, err)
	}
}

// isNotFound is regerr.NotFound.
func isNotFound(err error) bool { return regerr.NotFound(err) }
