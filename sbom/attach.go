package sbom

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"dagger/immutable/internal/artifact"
)

// MediaType is the media type of a CycloneDX JSON document: the artifact's
// artifactType and its single layer's media type.
const MediaType = "application/vnd.cyclonedx+json"

// TagSuffix ends the tag of an SBOM artifact (cosign's convention).
const TagSuffix = ".sbom"

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
	*artifact.Artifact
	// ImageDigest is the digest of the image the SBOM describes.
	ImageDigest string
}

// Push writes the artifact to repo: blobs, the manifest by digest, then the
// tag sha256-<hex>.sbom. Pushing the same bytes again changes nothing.
func (a *Artifact) Push(ctx context.Context, repo name.Repository, opts ...remote.Option) error {
	tag, err := Tag(a.ImageDigest)
	if err != nil {
		return err
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	if err := a.Write(repo, opts...); err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	if err := remote.Tag(repo.Tag(tag), a, opts...); err != nil {
		return fmt.Errorf("sbom: tagging %s: %w", repo.Tag(tag), err)
	}
	return nil
}

// NewArtifact packages bom (CycloneDX JSON) for the image with digest
// imageDigest. It does no I/O, so the artifact digest is known before
// anything is pushed; the same inputs give the same digest.
func NewArtifact(imageDigest string, bom []byte) (*Artifact, error) {
	if _, err := v1.NewHash(imageDigest); err != nil {
		return nil, fmt.Errorf("sbom: image digest %q: %w", imageDigest, err)
	}
	a, err := artifact.New(MediaType, bom, map[string]string{AnnotationImageDigest: imageDigest})
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	return &Artifact{Artifact: a, ImageDigest: imageDigest}, nil
}

// AnnotationImageDigest on the artifact manifest names the image the SBOM
// describes.
const AnnotationImageDigest = "dev.immutable.sbom.image.digest"

// Fetch reads the SBOM of repo@digest (the sha256-<hex>.sbom artifact) and
// returns the CycloneDX JSON. The blob's digest is checked while reading.
func Fetch(ctx context.Context, repo name.Repository, digest string, opts ...remote.Option) ([]byte, error) {
	tag, err := Tag(digest)
	if err != nil {
		return nil, err
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	b, err := artifact.Read(repo.Tag(tag), MediaType, maxSBOMSize, opts...)
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("sbom: no SBOM for %s@%s: %w", repo, digest, err)
		}
		return nil, fmt.Errorf("sbom: %w", err)
	}
	return b, nil
}
