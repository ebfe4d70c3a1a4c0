package main

import (
	"bytes"
	"fmt"

	"dagger/immutable/pipeline"
)

// Release is a published release: the values other modules compose (the
// digest, the pinned reference) and the report for people and machines.
type Release struct {
	// Version released, e.g. 1.4.0.
	Version string
	// Image manifest digest, sha256:….
	Digest string
	// Pinned reference to deploy or roll back to, repo@sha256:….
	Ref string
	// The release report as text: gates, tags, attachments, deploy command.
	Summary string
	// The release report as JSON (the release record's facts).
	Json string
}

// newRelease makes the module's Release of a pipeline release; a failed
// release is an error carrying the report's text.
func newRelease(r *pipeline.ReleaseReport, err error) (*Release, error) {
	if r == nil {
		return nil, err
	}
	text, _ := output(r, "text")
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, text)
	}
	js, err := output(r, "json")
	if err != nil {
		return nil, err
	}
	rel := &Release{Version: r.Version, Digest: r.Digest, Summary: text, Json: js}
	if r.Result != nil {
		rel.Ref = r.Result.Ref
	}
	return rel, nil
}

// output renders a flow's report as text or JSON (format "json"), the
// same way `go run ./ci` prints it. A report that failed (tests, verify,
// scan, verify-release) is an error carrying its text.
func output(r pipeline.Report, format string) (string, error) {
	var b bytes.Buffer
	if err := pipeline.Render(&b, r, format == "json"); err != nil {
		var text bytes.Buffer
		r.Format(&text)
		return "", fmt.Errorf("%w\n%s", err, text.String())
	}
	return b.String(), nil
}
