package pipeline

import (
	"context"
	"crypto"
	"fmt"
	"io"
	"strings"
	"time"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/attest"
	"dagger/immutable/publish"
	"dagger/immutable/sbom"
)

// releaseAttachments are a release's attachments: built once every gate
// passed, pushed by publish's BeforeTags hook (after the image is written
// by digest, before any tag), so a version tag never points at an image
// without them and a refused release attaches nothing.
type releaseAttachments struct {
	built  *attest.Built
	legacy *sbom.Artifact
	repo   name.Repository
	ropts  []remote.Option
	pushed *attest.Pushed
	// platforms are a multi-platform release's per-platform SBOMs, each
	// attached to its platform's image (nil for one platform).
	platforms []platformAttachments
}

// platformAttachments are one platform image's SBOM referrers.
type platformAttachments struct {
	platform string
	built    *attest.Built
	legacy   *sbom.Artifact
}

// newReleaseAttachments builds the SBOMs (CycloneDX and SPDX from the same
// package list), the SLSA provenance (DSSE-signed when key is set) and the
// signature of img. It writes nothing. For a multi-platform release the
// provenance and signature are of the index (what tags name) and each
// platform's SBOMs are of that platform's image.
func newReleaseAttachments(ctx context.Context, c *dagger.Client, o ReleaseOptions, t *publish.Target, b *Build, img *Image, gates []publish.Gate, sg *scanGate, key crypto.Signer) (*releaseAttachments, error) {
	repo, ropts := t.Repository(), t.Remote()
	subject, err := descriptorOf(img.Artifact())
	if err != nil {
		return nil, err
	}
	in, err := provenanceInputs(ctx, c, o, repo, b, img, gates)
	if err != nil {
		return nil, err
	}
	st, err := attest.NewProvenance(in)
	if err != nil {
		return nil, err
	}
	rel := attest.Release{Subject: subject, Provenance: st, Key: key}
	a := &releaseAttachments{legacy: sg.artifact, repo: repo, ropts: ropts}
	if len(img.Variants) > 1 {
		for _, p := range sg.platforms {
			d, err := descriptorOf(p.img.Image)
			if err != nil {
				return nil, err
			}
			pr := attest.Release{Subject: d}
			if pr.CycloneDX, pr.SPDX, err = sbomDocuments(p.bom); err != nil {
				return nil, err
			}
			pb, err := attest.Build(ctx, repo, pr, ropts...)
			if err != nil {
				return nil, fmt.Errorf("release: %s attachments: %w", p.platform, err)
			}
			a.platforms = append(a.platforms, platformAttachments{platform: p.platform, built: pb, legacy: p.artifact})
		}
	} else if rel.CycloneDX, rel.SPDX, err = sbomDocuments(sg.bom); err != nil {
		return nil, err
	}
	if a.built, err = attest.Build(ctx, repo, rel, ropts...); err != nil {
		return nil, fmt.Errorf("release: attachments: %w", err)
	}
	return a, nil
}

// sbomDocuments are the CycloneDX SBOM and its SPDX form.
func sbomDocuments(cyclonedx []byte) ([]byte, []byte, error) {
	bom, err := sbom.Decode(cyclonedx)
	if err != nil {
		return nil, nil, err
	}
	spdx, err := sbom.SPDXJSON(bom)
	if err != nil {
		return nil, nil, err
	}
	return cyclonedx, spdx, nil
}

// provenanceInputs gathers what the provenance states about a release.
func provenanceInputs(ctx context.Context, c *dagger.Client, o ReleaseOptions, repo name.Repository, b *Build, img *Image, gates []publish.Gate) (attest.Inputs, error) {
	in := attest.Inputs{
		Repo: repo.String(), Digest: img.Digest, Version: o.Build.Version,
		SourceURL: b.Options.SourceURL, Revision: b.Options.Revision, SourceDateEpoch: b.Options.Epoch.Unix(),
		RuntimeBase: b.Options.RuntimeBase, BuilderBase: b.Options.BuilderBase,
		Lockfile: b.Lockfile, NodeVersion: b.NodeVersion,
	}
	if in.SourceURL == "" {
		in.SourceURL = b.Labels["org.opencontainers.image.source"]
	}
	if b.App != nil {
		pm := b.App.PackageManager
		in.LockfileName = pm.Kind.File()
		in.PackageManager, in.PackageManagerVersion = pm.Kind.Tool(), pm.Version
		if pm.Package != "" {
			in.PackageManager = pm.Package
		}
		if in.PackageManagerVersion == "" && b.Dev != nil {
			v, err := b.Dev.WithExec([]string{in.PackageManager, "--version"}).Stdout(ctx)
			if err != nil {
				return in, fmt.Errorf("release: provenance: %s --version in the builder: %w", in.PackageManager, err)
			}
			in.PackageManagerVersion = strings.TrimSpace(v)
		}
	}
	v, err := c.Version(ctx)
	if err != nil {
		return in, fmt.Errorf("release: provenance: Dagger engine version: %w", err)
	}
	in.DaggerVersion = v
	for _, g := range gates {
		in.Gates = append(in.Gates, attest.Gate{Name: g.Name, Passed: g.Passed, Skipped: g.Skipped})
	}
	return in, nil
}

// descriptorOf is a's manifest descriptor (the referrers' subject).
func descriptorOf(a publish.Artifact) (v1.Descriptor, error) {
	raw, err := a.RawManifest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("release: image manifest: %w", err)
	}
	mt, err := a.MediaType()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("release: image manifest: %w", err)
	}
	h, err := a.Digest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("release: image manifest: %w", err)
	}
	return v1.Descriptor{MediaType: mt, Digest: h, Size: int64(len(raw))}, nil
}

// record is what the release record keeps of the attachments.
func (a *releaseAttachments) record() map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{
		"provenance": a.built.Provenance, "sbom:cyclonedx": a.built.CycloneDX, "sbom:spdx": a.built.SPDX,
		"signature": a.built.Signature, "cosign:att": a.built.Attestations,
	} {
		if v != "" {
			m[k] = v
		}
	}
	for _, p := range a.platforms {
		m["sbom:cyclonedx "+p.platform] = p.built.CycloneDX
		m["sbom:spdx "+p.platform] = p.built.SPDX
	}
	return m
}

// signatures is the cosign .sig image's digest ("" when unsigned).
func (a *releaseAttachments) signatures() string { return a.built.Signatures }

// push writes the attachments (attest.Push: each tag at most once) and the
// CycloneDX SBOM under cosign's legacy sha256-<hex>.sbom tag, unless that
// tag already holds it.
func (a *releaseAttachments) push(ctx context.Context) error {
	p, err := attest.Push(ctx, a.repo, &a.built.Set, a.ropts...)
	if err != nil {
		return err
	}
	a.pushed = p
	if len(a.platforms) == 0 {
		return a.pushLegacy(ctx, a.legacy)
	}
	for _, pa := range a.platforms {
		if _, err := attest.Push(ctx, a.repo, &pa.built.Set, a.ropts...); err != nil {
			return fmt.Errorf("%s: %w", pa.platform, err)
		}
		if err := a.pushLegacy(ctx, pa.legacy); err != nil {
			return fmt.Errorf("%s: %w", pa.platform, err)
		}
	}
	return nil
}

// pushLegacy writes an SBOM under cosign's sha256-<hex>.sbom tag unless
// that tag already holds it.
func (a *releaseAttachments) pushLegacy(ctx context.Context, legacy *sbom.Artifact) error {
	tag, err := sbom.Tag(legacy.ImageDigest)
	if err != nil {
		return err
	}
	opts := append([]remote.Option{remote.WithContext(ctx)}, a.ropts...)
	if d, err := remote.Head(a.repo.Tag(tag), opts...); err == nil && d.Digest == legacy.Digest {
		return nil
	}
	return legacy.Push(ctx, a.repo, a.ropts...)
}

// gate is the release's "attest" row: what push wrote, or that the version
// was already released (nothing pushed).
func (a *releaseAttachments) gate(d time.Duration, alreadyReleased bool) publish.Gate {
	g := publish.Gate{Name: "attest", Passed: true, Duration: d}
	switch p := a.pushed; {
	case alreadyReleased || p == nil:
		g.Detail = "already released: nothing attached"
	case p.ReferrersAPI:
		g.Detail = fmt.Sprintf("%d referrers (referrers API)", len(a.built.Referrers))
	default:
		g.Detail = fmt.Sprintf("%d referrers (fallback tag %s)", len(a.built.Referrers), p.FallbackTag)
	}
	if len(a.platforms) > 0 && a.pushed != nil && !alreadyReleased {
		g.Detail += fmt.Sprintf("; SBOMs on each of %d platform images", len(a.platforms))
	}
	if a.built.Signatures != "" {
		g.Detail += "; cosign .sig and .att"
	}
	return g
}

// formatAttestations writes the attestation lines of a release summary.
func formatAttestations(w io.Writer, m map[string]string) {
	keys := []string{"provenance", "sbom:cyclonedx", "sbom:spdx", "signature", "cosign:att"}
	for _, p := range SupportedPlatforms {
		keys = append(keys, "sbom:cyclonedx "+p, "sbom:spdx "+p)
	}
	for _, k := range keys {
		if d := m[k]; d != "" {
			fmt.Fprintf(w, "  %-15s %s\n", k+":", d)
		}
	}
}
