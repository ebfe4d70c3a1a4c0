package pipeline

import (
	"context"
	"crypto"
	"fmt"
	"io"
	"strings"
	"time"

	"dagger.io/dagger"
	"github.com/Masterminds/semver/v3"

	"dagger/immutable/publish"
)

// InputsReport says whether a release reused an earlier release's gate
// results, and why or why not.
type InputsReport struct {
	// Key is the release's inputs key ("" when it could not be computed).
	Key string `json:"key,omitempty"`
	// Reused is true when the version was already released with the same
	// inputs and every recorded gate passed: no gate ran, and the report's
	// gates are the record's.
	Reused bool `json:"reused"`
	// Why explains Reused in one line.
	Why string `json:"why"`
	// Record is the release record the gates came from (for Reused), e.g.
	// "v1.2.3_release of 2026-12-01T15:00:00Z".
	Record string `json:"record,omitempty"`
}

// Format writes the one-line summary.
func (in *InputsReport) Format(w io.Writer) {
	if in.Reused { // Why names the key
		fmt.Fprintf(w, "  inputs: %s\n", in.Why)
		fmt.Fprintf(w, "  gates below are from %s\n", in.Record)
		return
	}
	key := "unknown"
	if in.Key != "" {
		key = shortKey(in.Key)
	}
	fmt.Fprintf(w, "  inputs: key %s: %s\n", key, in.Why)
}

func shortKey(k string) string {
	return (&publish.Inputs{Key: k}).Short()
}

// buildApp is BuildApp, a seam for tests that count builds.
var buildApp = BuildApp

// reuseRelease computes the release's inputs and, when the version is
// already released at the record's digest with the same inputs, every
// recorded gate passed and every attachment the record names is there,
// fills r from the record and returns true: no gate needs to run again. Any
// other case returns false with r.Inputs saying why; in is then what the new
// record keeps (nil when the inputs could not be computed, e.g. a base by
// tag).
func reuseRelease(ctx context.Context, c *dagger.Client, o ReleaseOptions, t *publish.Target, v *semver.Version, key crypto.Signer, r *ReleaseReport) (in *publish.Inputs, reused bool) {
	r.Inputs = &InputsReport{}
	in, err := releaseInputs(ctx, c, o, key)
	if err != nil {
		r.Inputs.Why = "gates run: inputs unknown (" + err.Error() + ")"
		return nil, false
	}
	r.Inputs.Key = in.Key
	prev, err := publish.Lookup(ctx, t, v, o.Registry.Publish)
	if err != nil {
		r.Inputs.Why = "gates run: could not read the release record (" + firstLine(err.Error()) + ")"
		return in, false
	}
	why, ok := reusable(in, prev)
	r.Inputs.Why = why
	if !ok {
		return in, false
	}
	rec := prev.Record
	r.Inputs.Reused = true
	r.Inputs.Record = prev.RecordTag + " of " + rec.Created.Format(time.RFC3339)
	r.Digest = rec.Digest
	r.Gates = rec.Gates
	r.SBOMDigest = rec.SBOMDigest
	r.Signature = rec.Signature
	r.Attestations = rec.Attestations
	r.Result = &publish.Result{
		Kind: publish.KindRelease, Repo: rec.Repo, Ref: rec.Repo + "@" + rec.Digest, Digest: rec.Digest,
		Version: rec.Version, VersionTag: prev.VersionTag, AlreadyReleased: true,
		Record: *rec, RecordTag: prev.RecordTag,
	}
	return in, true
}

// reusable decides whether prev can stand for a release with inputs in, and
// says why in one line.
func reusable(in *publish.Inputs, prev *publish.Released) (string, bool) {
	rec := prev.Record
	switch {
	case prev.Digest == "":
		return "gates run: " + prev.VersionTag + " is not released yet", false
	case rec == nil:
		return "gates run: " + prev.VersionTag + " has no release record (interrupted release?)", false
	case rec.Inputs == nil:
		return "gates run: " + prev.RecordTag + " was made before inputs were recorded", false
	case rec.Inputs.Key != in.Key:
		return fmt.Sprintf("gates run: inputs changed since %s (%s)", prev.RecordTag, strings.Join(in.Changed(rec.Inputs), ", ")), false
	case rec.Digest != prev.Digest:
		return fmt.Sprintf("gates run: %s points at %s, its record at %s", prev.VersionTag, prev.Digest, rec.Digest), false
	case len(prev.Missing) > 0:
		return "gates run: attachments the record names are missing: " + strings.Join(prev.Missing, ", "), false
	}
	if failed := failedGates(rec.Gates); len(failed) > 0 {
		return "gates run: the recorded gates did not all pass (" + strings.Join(failed, ", ") + ")", false
	}
	if len(rec.Gates) == 0 {
		return "gates run: the record has no gate results", false
	}
	return fmt.Sprintf("already released with the same inputs (key %s): gates not run again", in.Short()), true
}
