package attest

import (
	"context"
	"crypto"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/sign"
)

// Release is what a release attaches to its image.
type Release struct {
	// Subject is the image's manifest descriptor.
	Subject v1.Descriptor
	// Provenance is the SLSA statement (NewProvenance).
	Provenance *Statement
	// CycloneDX and SPDX are the SBOM documents (JSON); nil ones are left
	// out.
	CycloneDX, SPDX []byte
	// Key signs the image and the provenance; nil attaches them unsigned
	// and writes no cosign tag.
	Key crypto.Signer
}

// Built is a release's attachments, built and not yet pushed.
type Built struct {
	Set
	// Provenance, CycloneDX, SPDX and Signature are the referrers' manifest
	// digests ("" for those not made).
	Provenance, CycloneDX, SPDX, Signature string
	// Attestations and Signatures are the digests of the images for
	// cosign's .att and .sig tags ("" when unsigned).
	Attestations, Signatures string
}

// Build makes every attachment of r for repo: the SBOM, provenance and
// signature referrers and, with a key, cosign's .sig and .att images
// (extending what those tags already hold). It reads the registry (the
// existing cosign tags) and writes nothing. The same release gives the
// same digests.
func Build(ctx context.Context, repo name.Repository, r Release, opts ...remote.Option) (*Built, error) {
	b := &Built{Set: Set{Subject: r.Subject}}
	digest := r.Subject.Digest.String()
	add := func(at string, l Layer, ann map[string]string) (string, error) {
		ref, err := NewReferrer(r.Subject, at, ann, l)
		if err != nil {
			return "", err
		}
		b.Referrers = append(b.Referrers, ref)
		return ref.Digest.String(), nil
	}
	var err error
	if r.CycloneDX != nil {
		if b.CycloneDX, err = add(ArtifactCycloneDX, Layer{MediaType: ArtifactCycloneDX, Body: r.CycloneDX}, nil); err != nil {
			return nil, err
		}
	}
	if r.SPDX != nil {
		if b.SPDX, err = add(ArtifactSPDX, Layer{MediaType: ArtifactSPDX, Body: r.SPDX}, nil); err != nil {
			return nil, err
		}
	}
	if r.Provenance != nil {
		if got := r.Provenance.SubjectDigest(); got != digest {
			return nil, fmt.Errorf("attest: provenance subject is %s, not the image %s", got, digest)
		}
		stmt, err := r.Provenance.JSON()
		if err != nil {
			return nil, err
		}
		ann := map[string]string{AnnotationPredicateType: r.Provenance.PredicateType}
		l := Layer{MediaType: InTotoPayloadType, Body: stmt}
		if r.Key != nil {
			env, err := SignEnvelope(stmt, r.Key)
			if err != nil {
				return nil, err
			}
			l = Layer{MediaType: DSSEMediaType, Body: env}
			att, err := NewAttestations(ctx, repo, digest, []Envelope{{Body: env, PredicateType: r.Provenance.PredicateType}}, opts...)
			if err != nil {
				return nil, err
			}
			b.Cosign = append(b.Cosign, att)
			b.Attestations = att.Digest.String()
		}
		if b.Provenance, err = add(ArtifactProvenance, l, ann); err != nil {
			return nil, err
		}
	}
	if r.Key != nil {
		s, err := sign.New(ctx, repo, digest, r.Key, opts...)
		if err != nil {
			return nil, err
		}
		b.Cosign = append(b.Cosign, &CosignImage{Tag: s.Tag, Image: s.Image, Digest: s.Digest, Unchanged: s.Unchanged})
		b.Signatures = s.Digest.String()
		l := Layer{MediaType: string(sign.SimpleSigningMediaType), Body: s.Payload, Annotations: map[string]string{sign.SignatureAnnotation: s.Base64}}
		if b.Signature, err = add(ArtifactSignature, l, nil); err != nil {
			return nil, err
		}
	}
	return b, nil
}
