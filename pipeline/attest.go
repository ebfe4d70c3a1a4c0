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
}

// newReleaseAttachments builds the SBOMs (CycloneDX and SPDX from the same
// package list), the SLSA provenance (DSSE-signed when key is set) and the
// signature of img. It writes nothing.
func newReleaseAttachments(ctx context.Context, c *dagger.Client, o ReleaseOptions, t *publish.Target, b *Build, img *Image, gates []publish.Gate, sg *scanGate, key crypto.Signer) (*releaseAttachments, error) {
	repo, ropts := t.Repository(), t.Remote()
	subject, err := imageDescriptor(img.Image)
	if err != nil {
		return nil, err
	}
	bom, err := sbom.Decode(sg.bom)
	if err != nil {
		return nil, err
	}
	spdx, err := sbom.SPDXJSON(bom)
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
	built, err := attest.Build(ctx, repo, attest.Release{Subject: subject, Provenance: st, CycloneDX: sg.bom, SPDX: spdx, Key: key}, ropts...)
	if err != nil {
		return nil, fmt.Errorf("release: attachments: %w", err)
	}
	return &releaseAttachments{built: built, legacy: sg.artifact, repo: repo, ropts: ropts}, nil
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

// imageDescriptor is img's manifest descriptor (the referrers' subject).
func imageDescriptor(img v1.Image) (v1.Descriptor, error) {
	raw, err := img.RawManifest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("release: image manifest: %w", err)
	}
	mt, err := img.MediaType()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("release: image manifest: %w", err)
	}
	h, err := img.Digest()
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
	tag, err := sbom.Tag(a.legacy.ImageDigest)
	if err != nil {
		return err
	}
	opts := append([]remote.Option{remote.WithContext(ctx)}, a.ropts...)
	if d, err := remote.Head(a.repo.Tag(tag), opts...); err == nil && d.Digest == a.legacy.Digest {
		return nil
	}
	return a.legacy.Push(ctx, a.repo, a.ropts...)
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
	if a.built.Signatures != "" {
		g.Detail += "; cosign .sig and .att"
	}
	return g
}

// formatAttestations writes the attestation lines of a release summary.
func formatAttestations(w io.Writer, m map[string]string) {
	for _, k := range []string{"provenance", "sbom:cyclonedx", "sbom:spdx", "signature", "cosign:att"} {
		if d := m[k]; d != "" {
			fmt.Fprintf(w, "  %-15s %s\n", k+":", d)
		}
	}
}
