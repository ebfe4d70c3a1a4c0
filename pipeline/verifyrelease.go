package pipeline

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"dagger/immutable/attest"
	"dagger/immutable/publish"
	"dagger/immutable/sign"
)

// Check is one finding of VerifyRelease.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// ReleaseCheck is what VerifyRelease found about the image a reference
// points at now.
type ReleaseCheck struct {
	Ref     string  `json:"ref"`
	Digest  string  `json:"digest"`
	Version string  `json:"version,omitempty"`
	Checks  []Check `json:"checks"`
}

// Err is nil when every check passed, else the first failure.
func (c *ReleaseCheck) Err() error {
	for _, k := range c.Checks {
		if !k.OK {
			return fmt.Errorf("%s@%s is not safe to deploy: %s: %s", strings.SplitN(c.Ref, "@", 2)[0], c.Digest, k.Name, k.Detail)
		}
	}
	return nil
}

// Format writes one line per check, then the verdict.
func (c *ReleaseCheck) Format(w io.Writer) {
	fmt.Fprintf(w, "verify-release %s\n  digest: %s\n", c.Ref, c.Digest)
	for _, k := range c.Checks {
		mark := "ok  "
		if !k.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %-11s %s\n", mark, k.Name, k.Detail)
	}
	if err := c.Err(); err != nil {
		fmt.Fprintf(w, "NO: %v\n", err)
		return
	}
	fmt.Fprintf(w, "YES: release %s (%s) is signed, its provenance matches the release record, it has an SBOM and passed every gate\n", c.Version, c.Digest)
}

// VerifyRelease checks, before a deploy, image (repo:tag resolved to the
// digest it points at now, or repo@digest; a bare tag or digest is taken
// in reg.Repo): it has a release
// record, a signature by pubPEM over exactly that digest, SLSA provenance
// signed by the same key whose subject is the digest and whose source
// revision and base images are the record's, an SBOM, and every gate
// passed (in the record and in the provenance). The error is for unusable
// inputs; the report's Err names the first thing that is wrong. Releases
// are read under reg's tag prefix: the verify-release flow of both doors.
func VerifyRelease(ctx context.Context, reg Registry, image string, pubPEM []byte) (*ReleaseCheck, error) {
	pub, err := sign.LoadPublicKey(pubPEM)
	if err != nil {
		return nil, err
	}
	ref := reg.ImageRef(image)
	r, t, err := imageTarget(ctx, reg, ref)
	if err != nil {
		return nil, err
	}
	ropts := t.Remote()
	repo, digest, err := sign.Resolve(ctx, r, ropts...)
	if err != nil {
		return nil, err
	}
	c := &ReleaseCheck{Ref: ref, Digest: digest}
	add := func(name string, err error, ok string) {
		if err != nil {
			c.Checks = append(c.Checks, Check{Name: name, Detail: err.Error()})
			return
		}
		c.Checks = append(c.Checks, Check{Name: name, OK: true, Detail: ok})
	}

	rec, err := releaseRecord(ctx, t, r, digest, reg.Publish)
	if rec != nil {
		c.Version = rec.Version
	}
	add("record", err, fmt.Sprintf("release %s, revision %q", c.Version, recRevision(rec)))

	a, err := attest.List(ctx, repo, digest, ropts...)
	if err != nil {
		return nil, err
	}
	add("signature", verifySignatures(ctx, repo, digest, pub, a, ropts), "signed by the given key over exactly this digest")

	prov, err := a.Provenance(ctx, pub, ropts...)
	if err == nil && rec != nil {
		err = provenanceMatches(prov.Statement, rec)
	}
	where := ""
	if prov != nil {
		where = prov.Where
	}
	add("provenance", err, "SLSA v1, signed, subject/revision/bases match the record ("+where+")")

	var sbomErr error
	kinds := a.Kinds()
	if !slicesContainsPrefix(kinds, "sbom") {
		sbomErr = errors.New("no SBOM attached (no CycloneDX or SPDX referrer, no .sbom tag)")
	}
	sbomOK := strings.Join(filterPrefix(kinds, "sbom"), ", ")
	if rec != nil && len(rec.Platforms) > 0 {
		// A multi-platform release: each platform image has its own SBOMs.
		sbomErr, sbomOK = nil, ""
		for _, p := range rec.Platforms {
			pa, err := attest.List(ctx, repo, p.Digest, ropts...)
			if err != nil {
				return nil, err
			}
			pk := filterPrefix(pa.Kinds(), "sbom")
			if len(pk) == 0 && sbomErr == nil {
				sbomErr = fmt.Errorf("no SBOM attached to the %s image %s", p.Platform, p.Digest)
			}
			sbomOK += fmt.Sprintf("%s: %s; ", p.Platform, strings.Join(pk, ", "))
		}
		sbomOK = strings.TrimSuffix(sbomOK, "; ")
	}
	add("sbom", sbomErr, sbomOK)

	add("gates", gatesPassed(rec, prov), "every gate passed")
	return c, nil
}

// releaseRecord finds the release record of digest: the version tag's when
// ref is one, else the newest release with that digest.
func releaseRecord(ctx context.Context, t *publish.Target, ref name.Reference, digest string, o publish.Options) (*publish.Record, error) {
	repo := t.Repository()
	h, err := publish.Releases(ctx, t, o)
	if err != nil {
		return nil, err
	}
	tag := ""
	if t, ok := ref.(name.Tag); ok {
		tag = t.TagStr()
	}
	var found *publish.Release
	for i, rel := range h.Releases {
		if rel.Digest != digest {
			continue
		}
		if found == nil || rel.Tag == tag {
			found = &h.Releases[i]
		}
	}
	switch {
	case found == nil:
		return nil, fmt.Errorf("no release of %s has digest %s (not released by this pipeline, or the tag was moved to another image)", repo, digest)
	case found.Record == nil:
		return nil, fmt.Errorf("release %s (%s) has no release record (an interrupted release: re-run it)", found.Version, digest)
	}
	return found.Record, nil
}

func recRevision(rec *publish.Record) string {
	if rec == nil {
		return ""
	}
	return rec.SourceRevision
}

// verifySignatures accepts cosign's .sig image, else a signature referrer.
func verifySignatures(ctx context.Context, repo name.Repository, digest string, pub crypto.PublicKey, a *attest.Attachments, ropts []remote.Option) error {
	_, err := sign.Verify(ctx, repo, digest, pub, ropts...)
	if err == nil {
		return nil
	}
	for _, d := range a.Of(attest.ArtifactSignature) {
		if _, rerr := sign.VerifyManifest(ctx, repo, d.Digest, digest, pub, ropts...); rerr == nil {
			return nil
		}
	}
	return err
}

// provenanceMatches compares the provenance with the release record.
func provenanceMatches(st *attest.Statement, rec *publish.Record) error {
	ext := st.Predicate.BuildDefinition.ExternalParameters
	if ext.Version != rec.Version {
		return fmt.Errorf("provenance is for version %q, the record for %q", ext.Version, rec.Version)
	}
	if ext.Source.Revision != rec.SourceRevision {
		return fmt.Errorf("provenance says source revision %q, the release record %q", ext.Source.Revision, rec.SourceRevision)
	}
	for role, dep := range map[string]string{"runtime": attest.DepRuntimeBase, "builder": attest.DepBuilderBase} {
		want := rec.BaseDigests[role]
		d, _ := st.Dependency(dep)
		if got := strings.TrimPrefix(d.URI, "oci://"); got != want {
			return fmt.Errorf("provenance says %s base %q, the release record %q", role, got, want)
		}
	}
	return nil
}

// gatesPassed checks the record's and the provenance's gates.
func gatesPassed(rec *publish.Record, prov *attest.VerifiedProvenance) error {
	if rec == nil {
		return errors.New("no release record to read the gates from")
	}
	if len(rec.Gates) == 0 {
		return errors.New("the release record lists no gates")
	}
	for _, g := range rec.Gates {
		if !g.Passed {
			return fmt.Errorf("gate %s failed in the release record: %s", g.Name, firstLine(g.Detail))
		}
	}
	if prov == nil {
		return errors.New("no verified provenance to read the gates from")
	}
	for _, g := range prov.Gates() {
		if !g.Passed {
			return fmt.Errorf("gate %s failed according to the provenance", g.Name)
		}
	}
	return nil
}

func slicesContainsPrefix(s []string, prefix string) bool { return len(filterPrefix(s, prefix)) > 0 }

func filterPrefix(s []string, prefix string) []string {
	var out []string
	for _, v := range s {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return out
}

// Releases is publish.Releases of reg (under its tag prefix) with what is
// attached to each release (Release.Attestations), read through the
// referrers API or fallback tag and cosign's tags: the releases flow of
// both doors.
func Releases(ctx context.Context, reg Registry) (*publish.History, error) {
	t, err := reg.target(ctx)
	if err != nil {
		return nil, err
	}
	h, err := publish.Releases(ctx, t, reg.Publish)
	if err != nil {
		return nil, err
	}
	r, ropts := t.Repository(), t.Remote()
	var g errgroup.Group
	g.SetLimit(4)
	for i := range h.Releases {
		g.Go(func() error {
			a, err := attest.List(ctx, r, h.Releases[i].Digest, ropts...)
			if err != nil {
				return err
			}
			h.Releases[i].Attestations = append([]string{}, a.Kinds()...)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("release history of %s: %w", r, err)
	}
	return h, nil
}
