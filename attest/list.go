package attest

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/artifact"
)

// maxDocument bounds how much of an attached document is read.
const maxDocument = 64 << 20

// Attachments is what a registry holds about one image.
type Attachments struct {
	// Repo and Digest name the image.
	Repo   name.Repository
	Digest string
	// Referrers are the OCI 1.1 referrers (from the referrers API, else
	// the fallback tag).
	Referrers []v1.Descriptor
	// CosignSignature, CosignAttestations and LegacySBOM say whether the
	// tags sha256-<hex>.sig, .att and .sbom exist.
	CosignSignature, CosignAttestations, LegacySBOM bool
}

// List reads the attachments of repo@digest: the referrers through the
// referrers API or the fallback tag (go-containerregistry's
// remote.Referrers), and whether cosign's tags exist.
func List(ctx context.Context, repo name.Repository, digest string, opts ...remote.Option) (*Attachments, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	d, err := name.NewDigest(repo.Name() + "@" + digest)
	if err != nil {
		return nil, fmt.Errorf("attest: image digest %q: %w", digest, err)
	}
	a := &Attachments{Repo: repo, Digest: digest}
	idx, err := remote.Referrers(d, opts...)
	if err != nil {
		return nil, fmt.Errorf("attest: listing referrers of %s: %w", d, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("attest: listing referrers of %s: %w", d, err)
	}
	a.Referrers = im.Manifests
	for _, t := range []struct {
		suffix string
		have   *bool
	}{{".sig", &a.CosignSignature}, {".att", &a.CosignAttestations}, {".sbom", &a.LegacySBOM}} {
		tag, err := suffixTag(digest, t.suffix)
		if err != nil {
			return nil, err
		}
		_, err = remote.Head(repo.Tag(tag), opts...)
		switch {
		case err == nil:
			*t.have = true
		case !isNotFound(err):
			return nil, fmt.Errorf("attest: checking %s: %w", repo.Tag(tag), err)
		}
	}
	return a, nil
}

// Of returns the referrers of the given artifact type.
func (a *Attachments) Of(artifactType string) []v1.Descriptor {
	var out []v1.Descriptor
	for _, d := range a.Referrers {
		if d.ArtifactType == artifactType {
			out = append(out, d)
		}
	}
	return out
}

// Kinds names what is attached, for listings: "signature", "provenance",
// "sbom:cyclonedx", "sbom:spdx", and "sbom(tag)" for an SBOM under the
// legacy .sbom tag.
func (a *Attachments) Kinds() []string {
	var out []string
	if a.CosignSignature || len(a.Of(ArtifactSignature)) > 0 {
		out = append(out, "signature")
	}
	if len(a.Of(ArtifactProvenance)) > 0 {
		out = append(out, "provenance")
	}
	if len(a.Of(ArtifactCycloneDX)) > 0 {
		out = append(out, "sbom:cyclonedx")
	}
	if len(a.Of(ArtifactSPDX)) > 0 {
		out = append(out, "sbom:spdx")
	}
	if a.LegacySBOM {
		out = append(out, "sbom(tag)")
	}
	return out
}

// Fetch reads the first layer of media type mediaType (a prefix) of the
// referrer desc, its digest checked.
func (a *Attachments) Fetch(desc v1.Descriptor, mediaType string, opts ...remote.Option) ([]byte, error) {
	return artifact.Read(a.Repo.Digest(desc.Digest.String()), mediaType, maxDocument, opts...)
}
