package attest

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// VerifiedProvenance is a provenance statement whose signature checked.
type VerifiedProvenance struct {
	*Statement
	// Where it was found: "referrer sha256:…" or the .att tag.
	Where string
	// Signed is true when a DSSE signature verified with the key.
	Signed bool
}

// Provenance returns the SLSA provenance of the image: a referrer of type
// ArtifactProvenance, else a layer of cosign's .att image. With pub, only
// a DSSE envelope that verifies with it counts; with nil pub an unsigned
// statement is accepted too. The statement's subject must be the image.
func (a *Attachments) Provenance(ctx context.Context, pub crypto.PublicKey, opts ...remote.Option) (*VerifiedProvenance, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	var why []string
	try := func(where string, body []byte, envelope bool) *VerifiedProvenance {
		payload, signed := body, false
		if envelope {
			var err error
			if pub != nil {
				payload, err = OpenEnvelope(body, pub)
				signed = err == nil
			} else {
				payload, err = EnvelopePayload(body)
			}
			if err != nil {
				why = append(why, fmt.Sprintf("%s: %v", where, err))
				return nil
			}
		} else if pub != nil {
			why = append(why, where+": not signed (a bare statement)")
			return nil
		}
		st, err := ParseStatement(payload)
		if err != nil {
			why = append(why, fmt.Sprintf("%s: %v", where, err))
			return nil
		}
		if got := st.SubjectDigest(); got != a.Digest {
			why = append(why, fmt.Sprintf("%s: its subject is %s, not this image %s", where, got, a.Digest))
			return nil
		}
		return &VerifiedProvenance{Statement: st, Where: where, Signed: signed}
	}
	for _, d := range a.Of(ArtifactProvenance) {
		where := "referrer " + d.Digest.String()
		body, err := a.Fetch(d, DSSEMediaType, opts...)
		envelope := err == nil
		if err != nil {
			body, err = a.Fetch(d, InTotoPayloadType, opts...)
		}
		if err != nil {
			why = append(why, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		if v := try(where, body, envelope); v != nil {
			return v, nil
		}
	}
	if a.CosignAttestations {
		tag, _ := AttestationTag(a.Digest)
		img, err := remote.Image(a.Repo.Tag(tag), opts...)
		if err != nil {
			return nil, fmt.Errorf("attest: reading %s: %w", a.Repo.Tag(tag), err)
		}
		m, err := img.Manifest()
		if err != nil {
			return nil, fmt.Errorf("attest: reading %s: %w", a.Repo.Tag(tag), err)
		}
		for _, l := range m.Layers {
			if l.Annotations[AnnotationPredicateType] != SLSAPredicateType || l.Size > maxDocument {
				continue
			}
			where := a.Repo.Tag(tag).String()
			body, err := readBlob(img, l)
			if err != nil {
				why = append(why, fmt.Sprintf("%s: %v", where, err))
				continue
			}
			if v := try(where, body, true); v != nil {
				return v, nil
			}
		}
	}
	if len(why) == 0 {
		return nil, errors.New("no SLSA provenance attached (neither a referrer nor a cosign .att attestation)")
	}
	return nil, fmt.Errorf("no valid SLSA provenance: %s", strings.Join(why, "; "))
}

// readBlob reads layer l of img (digest checked at EOF).
func readBlob(img v1.Image, l v1.Descriptor) ([]byte, error) {
	layer, err := img.LayerByDigest(l.Digest)
	if err != nil {
		return nil, err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxDocument))
}
