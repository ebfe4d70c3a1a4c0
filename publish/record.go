package publish

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/artifact"
)

// Record kinds.
const (
	KindRelease  = "release"
	KindRollback = "rollback"
)

// RecordMediaType is the artifactType of a record artifact and the media
// type of its single layer, the Record JSON.
const RecordMediaType = "application/vnd.immutable.release.v1+json"

// Annotations on a record artifact's manifest.
const (
	AnnotationVersion = "dev.immutable.release.version"
	AnnotationDigest  = "dev.immutable.release.digest"
	AnnotationKind    = "dev.immutable.release.kind"
)

// maxRecordSize bounds how much of a record blob is read.
const maxRecordSize = 1 << 20

// Record is the machine-readable description of a release or rollback. It is
// returned in Result, pushed next to the image (see the package
// documentation) and listed by Releases.
//
// The caller supplies the build facts (BaseDigests, SourceRevision,
// SourceDateEpoch, Gates, Unpinned, and optionally Created); Publish and
// Rollback fill in Kind, Version, Repo, Digest, Tags and Previous.
type Record struct {
	// Kind is KindRelease or KindRollback.
	Kind string `json:"kind"`
	// Version is the released (or rolled back to) version, e.g. "1.2.3".
	Version string `json:"version"`
	// Repo is the repository, e.g. "localhost:5000/my-app".
	Repo string `json:"repo"`
	// Digest is the image manifest digest, "sha256:...".
	Digest string `json:"digest"`
	// Tags are the tags pointing at Digest because of this operation: for a
	// release the version tag and the floating tags it is the highest of
	// (whether or not they were already there), for a rollback the floating
	// tags it moved.
	Tags []string `json:"tags"`
	// Previous maps each floating tag this operation moved to the digest it
	// pointed at before ("" if it did not exist).
	Previous map[string]string `json:"previous,omitempty"`
	// BaseDigests maps base image names to the digests the build used.
	BaseDigests map[string]string `json:"baseDigests,omitempty"`
	// SourceRevision identifies the source, e.g. a git commit.
	SourceRevision string `json:"sourceRevision,omitempty"`
	// SourceDateEpoch is the SOURCE_DATE_EPOCH the image was built with.
	SourceDateEpoch int64 `json:"sourceDateEpoch,omitempty"`
	// Gates are the release gates and their results.
	Gates []Gate `json:"gates,omitempty"`
	// Unpinned is true when some input was not pinned by digest.
	Unpinned bool `json:"unpinned,omitempty"`
	// SBOMDigest is the manifest digest of the image's SBOM artifact
	// (CycloneDX JSON, tagged sha256-<hex>.sbom next to the image; see
	// package sbom), "" when none was attached.
	SBOMDigest string `json:"sbomDigest,omitempty"`
	// Attestations maps each OCI 1.1 referrer the release attached to the
	// image to its manifest digest: "provenance", "sbom:cyclonedx",
	// "sbom:spdx", "signature", and cosign's "cosign:att" image (see
	// package attest). nil in records made before they existed.
	Attestations map[string]string `json:"attestations,omitempty"`
	// Scan summarizes the vulnerability scan gate; nil when no scan ran.
	Scan *ScanSummary `json:"scan,omitempty"`
	// Signature is the manifest digest of the cosign signature image
	// (tagged sha256-<hex>.sig next to the image; see package sign) as the
	// release left it, "" when the release was not signed.
	Signature string `json:"signature,omitempty"`
	// Findings are the image checks' findings that did not block the
	// release: warnings (a secret-looking file in a dependency's test or
	// fixture data), findings the team accepted with a reason, and stale
	// acceptances that matched nothing.
	Findings []Finding `json:"findings,omitempty"`
	// Runtime is how the image starts, from its config: entrypoint,
	// arguments, environment, user, working directory, ports and the
	// directories the app may write. nil in records made before it existed.
	Runtime *Runtime `json:"runtime,omitempty"`
	// Inputs identify what decided the image and the gates (see Inputs): a
	// re-release with the same key may reuse this record's gate results
	// instead of running them again. nil in records made before it existed.
	Inputs *Inputs `json:"inputs,omitempty"`
	// Platforms are the images of a multi-platform release (Digest is then
	// their image index), one per platform; nil for one platform.
	Platforms []PlatformImage `json:"platforms,omitempty"`
	// Created is when the record was made (not the image's creation time).
	Created time.Time `json:"created"`
}

// PlatformImage is one platform's image of a multi-platform release.
type PlatformImage struct {
	// Platform is e.g. "linux/arm64".
	Platform string `json:"platform"`
	// Digest is the platform image's manifest digest.
	Digest string `json:"digest"`
	// RuntimeBase is the base it was built on (repo@sha256:…).
	RuntimeBase string `json:"runtimeBase"`
	// Smoke is "passed", "skipped" or "not run (no <platform> runner)".
	Smoke string `json:"smoke,omitempty"`
}

// Finding is one non-blocking finding of the image checks (package
// checks), as a release record keeps it.
type Finding struct {
	// Status is "warning", "accepted" or "stale".
	Status string `json:"status"`
	// Rule is the check that found it, e.g. "no-secrets".
	Rule string `json:"rule"`
	// Path is the file in the image, e.g. /app/node_modules/x/test/key.pem.
	Path string `json:"path"`
	// What was found (never the secret itself).
	What string `json:"what"`
	// Reason is the team's reason, for accepted and stale findings.
	Reason string `json:"reason,omitempty"`
}

// ScanSummary is what a release record keeps of a vulnerability scan
// (package scan): enough to audit the gate without the full report.
type ScanSummary struct {
	// DB is the advisory database the scan used (a path).
	DB string `json:"db"`
	// Advisories and Packages are how many were compared.
	Advisories int `json:"advisories"`
	Packages   int `json:"packages"`
	// FailOn is the threshold, e.g. "HIGH".
	FailOn string `json:"failOn"`
	// Counts is the number of findings per severity ("HIGH": 1).
	Counts map[string]int `json:"counts,omitempty"`
	// Findings are "<id> <package> <installed> <severity>", highest
	// severity first.
	Findings []string `json:"findings,omitempty"`
}

// Gate is the result of one release gate (tests, verify, checks, ...).
type Gate struct {
	Name     string        `json:"name"`
	Passed   bool          `json:"passed"`
	Duration time.Duration `json:"-"`
	// Skipped is true when the gate did not run (it counts as passed),
	// e.g. the smoke test with --skip-smoke; Detail says why.
	Skipped bool `json:"skipped,omitempty"`
	// Detail is a short result or error message.
	Detail string `json:"detail,omitempty"`
}

type gateJSON struct {
	Name     string `json:"name"`
	Passed   bool   `json:"passed"`
	Skipped  bool   `json:"skipped,omitempty"`
	Duration string `json:"duration,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// MarshalJSON writes Duration as a Go duration string ("1.5s").
func (g Gate) MarshalJSON() ([]byte, error) {
	j := gateJSON{Name: g.Name, Passed: g.Passed, Skipped: g.Skipped, Detail: g.Detail}
	if g.Duration != 0 {
		j.Duration = g.Duration.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (g *Gate) UnmarshalJSON(b []byte) error {
	var j gateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*g = Gate{Name: j.Name, Passed: j.Passed, Skipped: j.Skipped, Detail: j.Detail}
	if j.Duration != "" {
		d, err := time.ParseDuration(j.Duration)
		if err != nil {
			return fmt.Errorf("gate %q duration: %w", j.Name, err)
		}
		g.Duration = d
	}
	return nil
}

// JSON returns the record as indented JSON with a trailing newline.
func (r Record) JSON() []byte {
	b, _ := json.MarshalIndent(r, "", "  ") // cannot fail: plain data
	return append(b, '\n')
}

// writeRecord uploads rec as an artifact by digest (blobs first, then the
// manifest) and returns it, to tag once the release is complete.
func (c *client) writeRecord(rec Record) (*artifact.Artifact, error) {
	a, err := artifact.New(RecordMediaType, rec.JSON(), map[string]string{
		AnnotationKind:    rec.Kind,
		AnnotationVersion: rec.Version,
		AnnotationDigest:  rec.Digest,
	})
	if err != nil {
		return nil, fmt.Errorf("release record: %w", err)
	}
	if err := a.Write(c.repo, c.opts...); err != nil {
		return nil, fmt.Errorf("release record: %w", err)
	}
	return a, nil
}

// readRecord fetches and decodes the record artifact tagged tag.
func (c *client) readRecord(tag string) (*Record, error) {
	b, err := artifact.Read(c.repo.Tag(tag), RecordMediaType, maxRecordSize, c.opts...)
	if err != nil {
		return nil, fmt.Errorf("reading record %s: %w", tag, err)
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("record %s: decoding JSON: %w", tag, err)
	}
	return &rec, nil
}

// tag points tag at an already written manifest.
func (c *client) tag(tag string, t remote.Taggable) error {
	if err := remote.Tag(c.repo.Tag(tag), t, c.opts...); err != nil {
		return fmt.Errorf("tagging %s: %w", c.repo.Tag(tag), err)
	}
	return nil
}
