package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// MediaType is the media type of a CycloneDX JSON document: the artifact's
// artifactType and its single layer's media type.
const MediaType = "application/vnd.cyclonedx+json"

// TagSuffix ends the tag of an SBOM artifact (cosign's convention).
const TagSuffix = ".sbom"

const emptyConfigMediaType = "application/vnd.oci.empty.v1+json"

// maxSBOMSize bounds how much of an SBOM blob Fetch reads.
const maxSBOMSize = 64 << 20

// Tag returns the tag of the SBOM of the image with digest d
// ("sha256:<hex>" -> "sha256-<hex>.sbom").
func Tag(digest string) (string, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return "", fmt.Errorf("sbom: image digest %q: %w", digest, err)
	}
	return h.Algorithm + "-" + h.Hex + TagSuffix, nil
}

// Artifact is an SBOM packaged as an OCI artifact, ready to push.
type Artifact struct {
	// Digest is the artifact manifest's digest: what the release record
	// names.
	Digest v1.Hash
	// ImageDigest is the digest of the image the SBOM describes.
	ImageDigest string
	manifest    []byte
	config      v1.Layer
	layer       v1.Layer
}

// RawManifest implements remote.Taggable.
func (a *Artifact) RawManifest() ([]byte, error) { return a.manifest, nil }

// MediaType implements remote.Taggable (and remote.Put's mediaTyper).
func (a *Artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

var _ remote.Taggable = (*Artifact)(nil)

// NewArtifact packages bom (CycloneDX JSON) for the image with digest
// imageDigest. It does no I/O, so the artifact digest is known before
// anything is pushed; the same inputs give the same digest.
func NewArtifact(imageDigest string, bom []byte) (*Artifact, error) {
	if _, err := v1.NewHash(imageDigest); err != nil {
		return nil, fmt.Errorf("sbom: image digest %q: %w", imageDigest, err)
	}
	a := &Artifact{
		ImageDigest: imageDigest,
		config:      static.NewLayer([]byte("{}"), emptyConfigMediaType),
		layer:       static.NewLayer(bom, MediaType),
	}
	var descs []v1.Descriptor
	for _, l := range []v1.Layer{a.config, a.layer} {
		d, _ := l.Digest() // static layers cannot fail
		sz, _ := l.Size()
		mt, _ := l.MediaType()
		descs = append(descs, v1.Descriptor{MediaType: mt, Size: sz, Digest: d})
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  MediaType,
		Config:        descs[0],
		Layers:        descs[1:],
		Annotations:   map[string]string{AnnotationImageDigest: imageDigest},
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("sbom: encoding manifest: %w", err)
	}
	a.manifest = b
	a.Digest, _, err = v1.SHA256(bytes.NewReader(b))
	return a, err
}

// AnnotationImageDigest on the artifact manifest names the image the SBOM
// describes.
const AnnotationImageDigest = "dev.immutable.sbom.image.digest"

// Attach pushes bom (CycloneDX JSON) as the SBOM of repo@digest: blobs, the
// manifest by digest, then the tag sha256-<hex>.sbom. Attaching the same
// bytes again changes nothing. It returns the artifact's digest.
func Attach(ctx context.Context, repo name.Repository, digest string, bom []byte, opts ...remote.Option) (v1.Hash, error) {
	a, err := NewArtifact(digest, bom)
	if err != nil {
		return v1.Hash{}, err
	}
	return a.Digest, a.Push(ctx, repo, opts...)
}

// Push writes the artifact to repo and tags it; see Attach.
func (a *Artifact) Push(ctx context.Context, repo name.Repository, opts ...remote.Option) error {
	tag, err := Tag(a.ImageDigest)
	if err != nil {
		return err
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	for _, l := range []v1.Layer{a.config, a.layer} {
		if err := remote.WriteLayer(repo, l, opts...); err != nil {
			return fmt.Errorf("sbom: uploading to %s: %w", repo, err)
		}
	}
	if err := remote.Put(repo.Digest(a.Digest.String()), a, opts...); err != nil {
		return fmt.Errorf("sbom: writing manifest to %s: %w", repo, err)
	}
	if err := remote.Tag(repo.Tag(tag), a, opts...); err != nil {
		return fmt.Errorf("sbom: tagging %s: %w", repo.Tag(tag), err)
	}
	return nil
}

// Fetch reads the SBOM of repo@digest (the sha256-<hex>.sbom artifact) and
// returns the CycloneDX JSON. The blob's digest is checked while reading.
func Fetch(ctx context.Context, repo name.Repository, digest string, opts ...remote.Option) ([]byte, error) {
	tag, err := Tag(digest)
	if err != nil {
		return nil, err
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	desc, err := remote.Get(repo.Tag(tag), opts...)
	if err != nil {
		return nil, fmt.Errorf("sbom: no SBOM for %s@%s: %w", repo, digest, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("sbom: %s: decoding manifest: %w", repo.Tag(tag), err)
	}
	for _, l := range m.Layers {
		if !strings.HasPrefix(string(l.MediaType), MediaType) {
			continue
		}
		if l.Size > maxSBOMSize {
			return nil, fmt.Errorf("sbom: %s: %d bytes is too large", repo.Tag(tag), l.Size)
		}
		blob, err := remote.Layer(repo.Digest(l.Digest.String()), opts...)
		if err != nil {
			return nil, fmt.Errorf("sbom: %s: %w", repo.Tag(tag), err)
		}
		rc, err := blob.Compressed() // verifies the digest at EOF
		if err != nil {
			return nil, fmt.Errorf("sbom: %s: %w", repo.Tag(tag), err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, maxSBOMSize))
		if err != nil {
			return nil, fmt.Errorf("sbom: %s: reading blob: %w", repo.Tag(tag), err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("sbom: %s has no %s layer", repo.Tag(tag), MediaType)
}
