package publish

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/Masterminds/semver/v3"
	"golang.org/x/sync/errgroup"
)

// History is a repository's releases and where its floating tags point.
type History struct {
	// Repo is the repository, e.g. "localhost:5000/my-app".
	Repo string
	// Releases are the versions with a version tag, newest (highest semver) first.
	Releases []Release
	// Floating are the floating tags: latest first, then majors and minors,
	// highest first.
	Floating []Floating
	// Rollbacks are the rollback records, oldest first.
	Rollbacks []Record
}

// Release is one released version.
type Release struct {
	Version string // "1.2.3"
	Tag     string // "v1.2.3"
	Digest  string // "sha256:..."
	// Created is when it was released (from the record; zero without one).
	Created time.Time
	// Record is the release record, nil if the release has none (interrupted,
	// or pushed by other tooling).
	Record *Record
	// Signed is true when the repository holds a cosign signature tag
	// (sha256-<hex>.sig) for Digest, whoever made it. It is not verified:
	// `verify-signature` checks it against a key.
	Signed bool
	// Attestations name what is attached to Digest ("provenance",
	// "sbom:cyclonedx", …; see package attest). Releases does not fill
	// it; pipeline.Releases does. nil means not listed.
	Attestations []string
}

// Floating is where a floating tag points.
type Floating struct {
	Tag    string // "v1", "latest"
	Digest string
	// Version is the highest release of the tag's line with that digest, ""
	// if the digest is no release.
	Version string
}

// Releases lists the releases in the target's repository with their digests and dates, newest
// first, where each floating tag points, and the rollbacks. Tags that are not
// version, floating or record tags under o.TagPrefix are ignored.
func Releases(ctx context.Context, t *Target, o Options) (_ *History, err error) {
	defer func() { err = classify(err) }()
	c, err := newClient(ctx, t, o)
	if err != nil {
		return nil, err
	}
	tags, err := c.listTags()
	if err != nil {
		return nil, err
	}
	vts := versionTags(tags, c.prefix)
	var resolve, floating []string
	var rollbacks []int
	have := map[string]bool{}
	for _, t := range tags {
		have[t] = true
		if isFloating(t, c.prefix) {
			floating = append(floating, t)
		}
		if n := rollbackNumber(t); n > 0 {
			rollbacks = append(rollbacks, n)
		}
	}
	for _, tv := range vts {
		resolve = append(resolve, tv.Tag)
	}
	digests, err := c.digests(append(resolve, floating...))
	if err != nil {
		return nil, err
	}

	h := &History{Repo: c.repo.String(), Releases: make([]Release, len(vts))}
	sort.Ints(rollbacks)
	h.Rollbacks = make([]Record, len(rollbacks))
	var g errgroup.Group
	g.SetLimit(headJobs)
	for i, tv := range vts {
		h.Releases[i] = Release{Version: tv.Version.String(), Tag: tv.Tag, Digest: digests[tv.Tag]}
		h.Releases[i].Signed = have[signatureTag(digests[tv.Tag])]
		if !have[releaseRecordTag(tv.Tag)] {
			continue
		}
		g.Go(func() error {
			rec, err := c.readRecord(releaseRecordTag(tv.Tag))
			if err != nil {
				return err
			}
			h.Releases[i].Record, h.Releases[i].Created = rec, rec.Created
			return nil
		})
	}
	for i, n := range rollbacks {
		g.Go(func() error {
			rec, err := c.readRecord(rollbackRecordTag(n))
			if err != nil {
				return err
			}
			h.Rollbacks[i] = *rec
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("release history of %s: %w", c.repo, err)
	}

	for _, ft := range floating {
		f := Floating{Tag: ft, Digest: digests[ft]}
		var best *semver.Version
		for _, tv := range vts {
			if digests[tv.Tag] == f.Digest && inLine(ft, c.prefix, tv.Version) && (best == nil || tv.Version.GreaterThan(best)) {
				best = tv.Version
			}
		}
		if best != nil {
			f.Version = best.String()
		}
		h.Floating = append(h.Floating, f)
	}
	sort.Slice(h.Floating, func(i, j int) bool { return floatingLess(h.Floating[i].Tag, h.Floating[j].Tag, c.prefix) })
	return h, nil
}

// floatingLess orders latest first, then by numeric line, highest first,
// a major before its minors.
func floatingLess(a, b, prefix string) bool {
	if a == LatestTag || b == LatestTag {
		return a == LatestTag && b != LatestTag
	}
	pa, pb := lineNumbers(a, prefix), lineNumbers(b, prefix)
	for k := 0; k < 2; k++ {
		if pa[k] != pb[k] {
			return pa[k] > pb[k]
		}
	}
	return false
}

// lineNumbers returns major and minor of a floating tag, minor = 1<<62 for a
// major tag so that it sorts before its minors.
func lineNumbers(tag, prefix string) [2]uint64 {
	out := [2]uint64{0, 1 << 62}
	parts := strings.SplitN(strings.TrimPrefix(tag, prefix), ".", 2)
	for k, p := range parts {
		fmt.Sscanf(p, "%d", &out[k])
	}
	return out
}

// Tag returns the digest the tag points at in h ("" if it is no release or
// floating tag).
func (h *History) Tag(tag string) string {
	for _, f := range h.Floating {
		if f.Tag == tag {
			return f.Digest
		}
	}
	for _, r := range h.Releases {
		if r.Tag == tag {
			return r.Digest
		}
	}
	return ""
}

// Format writes h as a human-readable table: releases newest first, then
// floating tags, then rollbacks. It is the one text form of a History; its
// JSON form is its fields.
func (h *History) Format(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "RELEASES of %s\n", h.Repo)
	listed := false
	for _, r := range h.Releases {
		listed = listed || r.Attestations != nil
	}
	if listed {
		fmt.Fprintln(tw, "VERSION\tTAG\tDIGEST\tSIGNED\tRELEASED\tATTESTATIONS")
	} else {
		fmt.Fprintln(tw, "VERSION\tTAG\tDIGEST\tSIGNED\tRELEASED")
	}
	for _, r := range h.Releases {
		signed := "no"
		if r.Signed {
			signed = "yes"
		}
		when := "-"
		if !r.Created.IsZero() {
			when = r.Created.Format(time.RFC3339)
		}
		if r.Record == nil {
			when += " (no release record)"
		}
		if listed {
			att := strings.Join(r.Attestations, ",")
			if att == "" {
				att = "none"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Version, r.Tag, r.Digest, signed, when, att)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Version, r.Tag, r.Digest, signed, when)
	}
	fmt.Fprintln(tw, "\nFLOATING\tVERSION\tDIGEST\t\t")
	for _, f := range h.Floating {
		v := f.Version
		if v == "" {
			v = "(not a release)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\t\n", f.Tag, v, f.Digest)
	}
	if len(h.Rollbacks) > 0 {
		fmt.Fprintln(tw, "\nROLLBACK TO\tTAGS\tDIGEST\t\tWHEN")
		for _, r := range h.Rollbacks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\t%s\n", r.Version, strings.Join(r.Tags, ","), r.Digest, r.Created.Format(time.RFC3339))
		}
	}
	tw.Flush()
}

// signatureTag is cosign's signature tag for a digest: sha256-<hex>.sig
// ("" for "").
func signatureTag(digest string) string {
	if digest == "" {
		return ""
	}
	return strings.Replace(digest, ":", "-", 1) + ".sig"
}
