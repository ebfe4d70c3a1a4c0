package attest

import (
	"bytes"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Artifact types of a release's referrers.
const (
	// ArtifactCycloneDX is a CycloneDX JSON SBOM.
	ArtifactCycloneDX = "application/vnd.cyclonedx+json"
	// ArtifactSPDX is an SPDX 2.3 JSON SBOM.
	ArtifactSPDX = "application/spdx+json"
	// ArtifactProvenance is SLSA provenance: a DSSE envelope when signed,
	// else the bare in-toto statement (see ProvenanceLayer).
	ArtifactProvenance = "application/vnd.in-toto+json"
	// ArtifactSignature is a cosign simple-signing signature (cosign's
	// OCI 1.1 artifact type for signatures).
	ArtifactSignature = "application/vnd.dev.cosign.artifact.sig.v1+json"
)

// AnnotationPredicateType on a provenance referrer (and cosign's
// attestation layers) names the in-toto predicate type.
const AnnotationPredicateType = "predicateType"

// Layer is one document of a referrer.
type Layer struct {
	MediaType   string
	Body        []byte
	Annotations map[string]string
}

// Referrer is an OCI 1.1 artifact about Subject: an image manifest with an
// artifactType, a "{}" config of that media type, its documents as layers
// and a subject.
// It implements remote.Taggable. It does no I/O: the same inputs give the
// same Digest.
type Referrer struct {
	// Digest and Size are the manifest's.
	Digest v1.Hash
	Size   int64
	// ArtifactType is what it is, e.g. ArtifactCycloneDX.
	ArtifactType string
	// Annotations are the manifest's annotations.
	Annotations map[string]string
	manifest    []byte
	blobs       []v1.Layer
}

var _ remote.Taggable = (*Referrer)(nil)

// NewReferrer packages layers as an artifact of artifactType about subject
// (the image's manifest descriptor: media type, digest and size).
func NewReferrer(subject v1.Descriptor, artifactType string, annotations map[string]string, layers ...Layer) (*Referrer, error) {
	if subject.Digest.Hex == "" || subject.MediaType == "" || subject.Size == 0 {
		return nil, fmt.Errorf("attest: subject descriptor needs media type, digest and size (got %+v)", subject)
	}
	r := &Referrer{ArtifactType: artifactType, Annotations: annotations}
	// The config is the empty JSON object with the artifact type as its
	// media type (as cosign does for signatures): registries that derive
	// a referrer's type from config.mediaType (go-containerregistry's
	// pkg/registry, OCI 1.1 release candidates) and those that read
	// artifactType then agree.
	cfg := static.NewLayer([]byte("{}"), types.MediaType(artifactType))
	r.blobs = append(r.blobs, cfg)
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  artifactType,
		Config:        descriptor(cfg, nil),
		Annotations:   annotations,
		Subject:       &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
	}
	for _, l := range layers {
		sl := static.NewLayer(l.Body, types.MediaType(l.MediaType))
		r.blobs = append(r.blobs, sl)
		m.Layers = append(m.Layers, descriptor(sl, l.Annotations))
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("attest: encoding manifest: %w", err)
	}
	r.manifest = b
	r.Digest, r.Size, err = v1.SHA256(bytes.NewReader(b))
	return r, err
}

// descriptor describes a static layer (which cannot fail).
func descriptor(l v1.Layer, annotations map[string]string) v1.Descriptor {
	d, _ := l.Digest()
	sz, _ := l.Size()
	mt, _ := l.MediaType()
	return v1.Descriptor{MediaType: mt, Size: sz, Digest: d, Annotations: annotations}
}

// Descriptor is the referrer as a referrers index lists it.
func (r *Referrer) Descriptor() v1.Descriptor {
	return v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: r.Digest, Size: r.Size, ArtifactType: r.ArtifactType, Annotations: r.Annotations}
}

// RawManifest implements remote.Taggable.
func (r *Referrer) RawManifest() ([]byte, error) { return r.manifest, nil }

// MediaType implements remote.Taggable.
func (r *Referrer) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
