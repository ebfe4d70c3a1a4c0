package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"dagger.io/dagger"
	"golang.org/x/sync/errgroup"

	"dagger/immutable/checks"
	"dagger/immutable/publish"
	"dagger/immutable/repro"
	"dagger/immutable/sbom"
	"dagger/immutable/scan"
	"dagger/immutable/sign"
)

// ReleaseOptions configure a release.
type ReleaseOptions struct {
	Build BuildOptions
	// Registry is where the image goes (repository, access, publish
	// rules); one publish.Target of it serves the whole release.
	Registry Registry
	// WorkDir holds exported image tarballs.
	WorkDir string
	// AdvisoryDB is an OSV advisory database (a directory or .zip of OSV
	// JSON) for the scan gate. "" skips the scan (the gate passes with a
	// note); the SBOM is generated and attached either way.
	AdvisoryDB string
	// FailOn is the scan threshold: low, medium, high, critical, unknown
	// (any finding) or none. The default ("") is high.
	FailOn string
	// SigningKey is a PEM private key (cosign's encrypted format or
	// unencrypted PKCS#8/EC). When set, the release signs the image digest
	// the way cosign does (package sign) and records the signature digest.
	// The default (nil) does not sign.
	SigningKey []byte
	// SigningPassword decrypts SigningKey (what cosign reads from
	// COSIGN_PASSWORD).
	SigningPassword []byte
}

// ReleaseReport is everything a release did, gate by gate.
type ReleaseReport struct {
	Version string         `json:"version"`
	Repo    string         `json:"repo"`
	Digest  string         `json:"digest,omitempty"`
	Gates   []publish.Gate `json:"gates"`
	Tests   *TestReport    `json:"tests,omitempty"`
	Verify  *VerifyReport  `json:"verify,omitempty"`
	Scan    *scan.Report   `json:"scan,omitempty"`
	// SBOMDigest is the digest of the SBOM artifact attached to the image
	// (set once it is attached).
	SBOMDigest string `json:"sbomDigest,omitempty"`
	// Signature is the digest of the cosign signature image (set once it
	// is pushed; "" when the release is not signed).
	Signature string `json:"signature,omitempty"`
	// Attestations are the OCI 1.1 referrers attached to the image (kind
	// -> manifest digest), as in the release record.
	Attestations map[string]string `json:"attestations,omitempty"`
	// Inputs says whether the gates ran or an earlier release's results
	// stand for them, and why.
	Inputs *InputsReport   `json:"inputs,omitempty"`
	Result *publish.Result `json:"result,omitempty"`
	Wall   time.Duration   `json:"wallNs"`
}

// Release builds, gates and publishes: build, then the test stage, the
// reproducibility check and the scan gate (SBOM, then a vulnerability scan
// when o.AdvisoryDB is set) concurrently, then — only if every gate passed
// — publish, and attach the SBOM to the published image. The error names
// the failing gate; nothing is published then.
func Release(ctx context.Context, c *dagger.Client, o ReleaseOptions) (*ReleaseReport, error) {
	start := time.Now()
	v, err := publish.ParseVersion(o.Build.Version)
	if err != nil {
		return nil, fmt.Errorf("release: %w; nothing was published", err)
	}
	o.Build.Version = v.String()
	key, err := o.signingKey()
	if err != nil {
		return nil, err
	}
	t, err := o.Registry.target(ctx)
	if err != nil {
		return nil, fmt.Errorf("release: %w; nothing was published", err)
	}
	// Fail in seconds, before building, on a bad repository name, an
	// unreachable registry or refused credentials.
	if err := publish.Check(ctx, t, v, o.Registry.Publish); err != nil {
		return nil, fmt.Errorf("release: %w; nothing was published", err)
	}
	r := &ReleaseReport{Version: o.Build.Version, Repo: t.String()}
	defer func() { r.Wall = time.Since(start) }()
	// An unchanged re-release (same version, digest and inputs) reuses the
	// record's gate results instead of building and running them again.
	in, reused := reuseRelease(ctx, c, o, t, v, key, r)
	if reused {
		return r, nil
	}

	t0 := time.Now()
	b, err := buildApp(ctx, c, o.Build)
	if err != nil {
		r.Gates = append(r.Gates, gate("build", time.Since(t0), err))
		return r, &GateError{Gates: []string{"build"}, Err: err}
	}
	// The image is exported and normalized while the jobs that need only
	// the build (unit tests, lint, the second build of the reproducibility
	// check) already run.
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := startImage(gctx, c, b, o.WorkDir)
	var g errgroup.Group
	g.Go(func() error {
		r.Tests = runTests(gctx, c, b, p.wait)
		return nil
	})
	var verifyErr error
	t1 := time.Now()
	g.Go(func() error {
		r.Verify, verifyErr = verify(gctx, c, o.Build, o.WorkDir, p.wait)
		return nil
	})
	img, err := p.wait(ctx)
	r.Gates = append(r.Gates, gate("build", time.Since(t0), err))
	if err != nil {
		cancel()
		_ = g.Wait()
		r.Tests, r.Verify = nil, nil // cut short: they tested nothing
		return r, &GateError{Gates: []string{"build"}, Err: err}
	}
	r.Digest = img.Digest
	var sg *scanGate
	g.Go(func() error {
		sg = runScanGate(b, img, o)
		return nil
	})
	_ = g.Wait()
	for _, j := range r.Tests.Jobs {
		g := publish.Gate{Name: j.Name, Passed: j.Status != Failed, Skipped: j.Status == Skipped, Duration: j.Duration, Detail: jobDetail(j)}
		if j.Name == "checks" && g.Passed && g.Detail == "" {
			g.Detail = findingsSummary(r.Tests.Findings)
		}
		r.Gates = append(r.Gates, g)
	}
	if verifyErr == nil {
		verifyErr = r.Verify.Err()
	}
	r.Gates = append(r.Gates, gate("reproducible", time.Since(t1), verifyErr))
	r.Gates = append(r.Gates, sg.gate)
	r.Scan = sg.report
	if failed := failedGates(r.Gates); len(failed) > 0 {
		return r, &GateError{Gates: failed, Err: firstFailure(r.Gates)}
	}

	// Every attachment (SBOMs, provenance, signature) is made before
	// publishing, so a bad key or registry blocks the release and the
	// record can name their digests; publish pushes them after the image
	// and before any tag (BeforeTags).
	ta := time.Now()
	att, err := newReleaseAttachments(ctx, c, o, t, b, img, r.Gates, sg, key)
	if err != nil {
		r.Gates = append(r.Gates, gate("attest", time.Since(ta), err))
		return r, &GateError{Gates: []string{"attest"}, Err: err}
	}
	rec := publish.Record{
		BaseDigests:     map[string]string{"runtime": b.Options.RuntimeBase, "builder": b.Options.BuilderBase},
		SourceRevision:  b.Options.Revision,
		SourceDateEpoch: o.Build.Epoch.Unix(),
		Gates:           r.Gates,
		Unpinned:        b.Labels[LabelUnpinned] == "true",
		SBOMDigest:      sg.artifact.Digest.String(),
		Scan:            sg.summary(),
		Signature:       att.signatures(),
		Attestations:    att.record(),
		Findings:        recordFindings(r.Tests.Findings),
		Runtime:         runtimeRecord(b, img),
		Inputs:          in,
		Platforms:       platformRecords(b, img, r.Gates),
	}
	t2 := time.Now()
	po := o.Registry.Publish
	// The runtime base's layers are mounted from its repository when it is
	// in the registry published to: a new repository gets them for free.
	po.MountFrom = append([]string(nil), po.MountFrom...)
	for _, p := range b.Platforms {
		po.MountFrom = append(po.MountFrom, p.RuntimeBase)
	}
	var attached time.Duration
	po.BeforeTags = func(ctx context.Context) error {
		t := time.Now()
		defer func() { attached = time.Since(t) }()
		return att.push(ctx)
	}
	res, err := publish.Publish(ctx, t, img.Artifact(), v, rec, po)
	r.Gates = append(r.Gates, gate("publish", time.Since(t2)-attached, err))
	if err != nil {
		return r, fmt.Errorf("release: publish: %w", err)
	}
	r.Result = res
	r.Gates = append(r.Gates, att.gate(attached, res.AlreadyReleased))
	r.SBOMDigest = sg.artifact.Digest.String()
	r.Signature = att.signatures()
	r.Attestations = att.record()
	return r, nil
}

// Format writes the human summary of a release.
func (r *ReleaseReport) Format(w io.Writer) {
	fmt.Fprintf(w, "release %s -> %s\n", r.Version, r.Repo)
	if r.Digest != "" {
		fmt.Fprintf(w, "  digest: %s\n", r.Digest)
	}
	if r.Inputs != nil {
		r.Inputs.Format(w)
	}
	fmt.Fprintln(w, "  gates:")
	for _, g := range r.Gates {
		status := "pass"
		if !g.Passed {
			status = "FAIL"
		}
		if strings.HasPrefix(g.Detail, "skipped") {
			status = "skip"
		}
		fmt.Fprintf(w, "    %-*s %-4s %8s  %s\n", nameWidth(r.Gates), g.Name, status, g.Duration.Round(time.Millisecond), firstLine(g.Detail))
	}
	if r.Tests != nil && r.Tests.Err() != nil {
		r.Tests.Format(w)
	}
	if r.Verify != nil && !r.Verify.Equal {
		r.Verify.Format(w)
	}
	if r.Tests != nil && r.Tests.Err() == nil { // else Tests.Format wrote them
		formatFindings(w, r.Tests.Findings)
	}
	if r.Scan != nil && len(r.Scan.Findings) > 0 {
		r.Scan.Format(w)
	}
	res := r.Result
	if res == nil {
		return
	}
	if res.AlreadyReleased {
		fmt.Fprintf(w, "  already released: %s is %s; nothing changed\n", res.VersionTag, res.Digest)
	}
	fmt.Fprintf(w, "  tags: %s", res.VersionTag)
	if len(res.Moved) > 0 {
		fmt.Fprintf(w, " (moved: %s)", strings.Join(res.Moved, ", "))
	}
	fmt.Fprintln(w)
	for tag, why := range res.Kept {
		fmt.Fprintf(w, "    %s %s\n", tag, why)
	}
	fmt.Fprintf(w, "  uploaded: %d bytes (%d blobs sent, %d already there, %d mounted)\n", res.BytesUploaded, res.BlobsUploaded, res.BlobsSkipped, res.BlobsMounted)
	fmt.Fprintf(w, "  pinned:   %s\n", res.Ref)
	if r.SBOMDigest != "" && len(res.Record.Platforms) == 0 { // else per platform, below
		tag, _ := sbom.Tag(res.Digest)
		fmt.Fprintf(w, "  sbom:     %s:%s (%s)\n", r.Repo, tag, r.SBOMDigest)
	}
	if r.Signature != "" {
		tag, _ := sign.Tag(res.Digest)
		fmt.Fprintf(w, "  signed:   %s:%s (%s)\n", r.Repo, tag, r.Signature)
	}
	formatAttestations(w, r.Attestations)
	fmt.Fprintf(w, "  deploy:   %s\n", publish.DeployCommand(path.Base(r.Repo), res.Ref))
	fmt.Fprintf(w, "  by tag:   %s\n", publish.DeployCommand(path.Base(r.Repo), r.Repo+":"+res.VersionTag))
	fmt.Fprintf(w, "  took:     %s\n", r.Wall.Round(time.Millisecond))
}

// nameWidth is the width of the gate name column: 13, or the longest name
// ("smoke linux/arm64").
func nameWidth(gates []publish.Gate) int {
	w := 13
	for _, g := range gates {
		w = max(w, len(g.Name))
	}
	return w
}

func gate(name string, d time.Duration, err error) publish.Gate {
	g := publish.Gate{Name: name, Passed: err == nil, Duration: d}
	if err != nil {
		g.Detail = err.Error()
	}
	return g
}

func jobDetail(j JobResult) string {
	if j.Status == Skipped {
		return "skipped: " + j.Detail
	}
	return j.Detail
}

// firstFailure is the first failed gate's detail as an error (nil if it
// has none).
func firstFailure(gates []publish.Gate) error {
	for _, g := range gates {
		if !g.Passed && g.Detail != "" {
			return errors.New(firstLine(g.Detail))
		}
	}
	return nil
}

func failedGates(gates []publish.Gate) []string {
	var failed []string
	for _, g := range gates {
		if !g.Passed {
			failed = append(failed, g.Name)
		}
	}
	return failed
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return s
}

// PublishTarball publishes an image tarball written by an earlier build
// after running the image checks on it (the base digest is taken from the
// image's own label). Release is the gated path from source; this is for
// pipelines that build and publish in separate steps.
func PublishTarball(ctx context.Context, reg Registry, tarball, version string) (*publish.Result, error) {
	v, err := publish.ParseVersion(version)
	if err != nil {
		return nil, err
	}
	t, err := reg.target(ctx)
	if err != nil {
		return nil, err
	}
	img, err := repro.LoadTarball(tarball)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	labels := cf.Config.Labels
	t0 := time.Now()
	_, err = checks.Run(img, checks.Options{AppDir: AppDir, BaseDigest: labels[LabelBaseDigest], Version: v.String()})
	g := gate("checks", time.Since(t0), err)
	if err != nil {
		return nil, fmt.Errorf("publish blocked: gate checks failed: %w; nothing was published", err)
	}
	rec := publish.Record{
		BaseDigests:    map[string]string{"runtime": labels[LabelBaseName]},
		SourceRevision: labels[LabelRevision],
		Gates:          []publish.Gate{g},
		Unpinned:       labels[LabelUnpinned] == "true",
	}
	if t, err := time.Parse(time.RFC3339, labels[LabelCreated]); err == nil {
		rec.SourceDateEpoch = t.Unix()
	}
	return publish.Publish(ctx, t, img, v, rec, reg.Publish)
}
