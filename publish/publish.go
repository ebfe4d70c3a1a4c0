package publish

import (
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Result describes what Publish or Rollback did.
type Result struct {
	// Kind is KindRelease (from Publish) or KindRollback (from Rollback).
	Kind string
	// Repo is the repository, e.g. "localhost:5000/my-app".
	Repo string
	// Ref is the pinned reference repo@sha256:..., for deploying.
	Ref string
	// Digest is the image manifest digest.
	Digest string
	// Version is the normalized version ("1.2.3", no prefix).
	Version string
	// VersionTag is the version's tag, e.g. "v1.2.3".
	VersionTag string
	// Moved lists the floating tags now pointing at Digest because of this
	// call, most specific first.
	Moved []string
	// Kept explains, for each floating tag of the version's lines that did
	// not move, where it stays and why, e.g. "stays at 1.1.0 (newer than 1.0.1)".
	Kept map[string]string
	// AlreadyReleased is true when the version was already completely
	// released with this digest: nothing was written.
	AlreadyReleased bool
	// Resumed is true when an interrupted release of the same digest was
	// finished (version tag existed, record tag did not).
	Resumed bool
	// BytesUploaded counts blob bytes (layers and config) sent for the image;
	// 0 when the registry already had every blob.
	BytesUploaded int64
	// BlobsUploaded and BlobsSkipped count the image's blobs that were sent
	// and that the repository already had.
	BlobsUploaded, BlobsSkipped int
	// BlobsMounted counts the image's blobs mounted from another repository
	// of the registry (see Options.MountFrom): not sent.
	BlobsMounted int
	// Record is the release or rollback record (for AlreadyReleased, the one
	// stored in the registry). Zero when a rollback moved nothing.
	Record Record
	// RecordTag is the record's tag, e.g. "v1.2.3_release" or "rollback_0001".
	RecordTag string
}

// Publish releases img (an image, or a multi-platform image index) as
// version v (see ParseVersion) to the target's
// repository
// following the rules of the package documentation: it refuses to change an
// existing version tag, moves floating tags only forward, writes the image by
// digest and verifies it before creating any tag, and pushes rec, completed
// with the release facts, as the release record.
//
// On error nothing that any tag points at is partial; re-running Publish with
// the same image either finishes the release or reports it complete.
func Publish(ctx context.Context, t *Target, img Artifact, v *semver.Version, rec Record, o Options) (_ *Result, err error) {
	defer func() { err = classify(err) }()
	c, err := newClient(ctx, t, o)
	if err != nil {
		return nil, err
	}
	versionTag, floating, err := tagsOf(v, c.prefix)
	if err != nil {
		return nil, err
	}
	lock, err := c.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	version := v.String()
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("publishing %s: image digest: %w", version, err)
	}
	raw, err := img.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("publishing %s: image manifest: %w", version, err)
	}
	res := &Result{
		Kind:       KindRelease,
		Repo:       c.repo.String(),
		Ref:        c.repo.Digest(digest.String()).String(),
		Digest:     digest.String(),
		Version:    v.String(),
		VersionTag: versionTag,
	}

	// Plan: read everything, decide everything, write nothing.
	tags, err := c.listTags()
	if err != nil {
		return nil, err
	}
	cur, err := c.head(versionTag)
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.Digest != digest {
		return nil, fmt.Errorf("%w: version %s is already released as %s@%s; refusing to publish %s under the same tag (version tags are immutable: release a new version instead)",
			ErrVersionExists, v, c.repo.Tag(versionTag), cur.Digest, digest)
	}
	recordTag := releaseRecordTag(versionTag)
	res.RecordTag = recordTag
	if cur != nil {
		done, err := c.head(recordTag)
		if err != nil {
			return nil, err
		}
		if done != nil {
			stored, err := c.readRecord(recordTag)
			if err != nil {
				return nil, err
			}
			res.AlreadyReleased, res.Record = true, *stored
			c.o.logf("publish: %s already released as %s; nothing to do", versionTag, digest)
			return res, nil
		}
		res.Resumed = true
		c.o.logf("publish: %s exists at %s without a release record; resuming the interrupted release", versionTag, digest)
	}
	var released []*semver.Version
	for _, tv := range versionTags(tags, c.prefix) {
		released = append(released, tv.Version)
	}
	previous, err := c.digests(floating)
	if err != nil {
		return nil, err
	}
	res.Kept = map[string]string{}
	if v.Prerelease() != "" {
		core, _ := v.SetPrerelease("")
		for _, ft := range floatingTags(&core, c.prefix) {
			res.Kept[ft] = fmt.Sprintf("not moved: %s is a prerelease", v)
		}
	}
	move, keptBy := decideFloating(v, c.prefix, released)
	for ft, top := range keptBy {
		res.Kept[ft] = fmt.Sprintf("stays at %s (newer than %s)", top, v)
	}
	for _, ft := range move {
		if previous[ft] == digest.String() {
			res.Kept[ft] = fmt.Sprintf("already at %s", digest)
			continue
		}
		res.Moved = append(res.Moved, ft)
	}
	rec.Kind, rec.Version, rec.Repo, rec.Digest = KindRelease, v.String(), res.Repo, digest.String()
	rec.Tags = append([]string{versionTag}, move...)
	rec.Previous = nil
	for _, ft := range res.Moved {
		if rec.Previous == nil {
			rec.Previous = map[string]string{}
		}
		rec.Previous[ft] = previous[ft]
	}
	if rec.Created.IsZero() {
		rec.Created = c.o.now()
	} else {
		rec.Created = rec.Created.UTC()
	}
	res.Record = rec
	c.o.logf("publish: plan %s -> %s; tags %s; floating %s", version, digest, versionTag, describeMoves(res.Moved, res.Kept))
	if o.afterPlan != nil {
		o.afterPlan(version)
	}

	// Write: image by digest, verify, record by digest, then tags.
	sent := c.count.snapshot()
	if cur == nil {
		c.o.logf("publish: pushing %s", res.Ref)
		if err := c.write(c.repo.Digest(digest.String()), img); err != nil {
			return nil, fmt.Errorf("pushing %s: %w (no tags were changed)", res.Ref, err)
		}
	}
	n := c.count.snapshot().since(sent)
	res.BytesUploaded, res.BlobsUploaded, res.BlobsSkipped, res.BlobsMounted = n.Bytes, n.Uploaded, n.Skipped, n.Mounted
	c.o.logf("publish: uploaded %d bytes in %d blobs, %d blobs already present, %d mounted", n.Bytes, n.Uploaded, n.Skipped, n.Mounted)
	desc, err := c.verify(digest, raw)
	if err != nil {
		return nil, fmt.Errorf("%w (no tags were changed)", err)
	}
	if o.BeforeTags != nil {
		if err := o.BeforeTags(ctx); err != nil {
			return nil, fmt.Errorf("publishing %s: %w (no tags were changed)", version, err)
		}
	}
	rm, err := c.writeRecord(rec)
	if err != nil {
		return nil, fmt.Errorf("%w (no tags were changed)", err)
	}
	if cur == nil {
		if err := c.tag(versionTag, desc); err != nil {
			return nil, fmt.Errorf("%w (nothing tagged; re-run to retry)", err)
		}
	}
	for _, ft := range res.Moved {
		if err := c.tag(ft, desc); err != nil {
			return nil, fmt.Errorf("%w (%s is published but its floating tags are incomplete; re-run the same release to finish)", err, versionTag)
		}
	}
	if err := c.tag(recordTag, rm); err != nil {
		return nil, fmt.Errorf("%w (%s and its floating tags are published; re-run the same release to record it)", err, versionTag)
	}
	c.o.logf("publish: released %s as %s (record %s)", versionTag, res.Ref, recordTag)
	return res, nil
}

// describeMoves renders moved and kept floating tags for a log line.
func describeMoves(moved []string, kept map[string]string) string {
	var parts []string
	for _, t := range moved {
		parts = append(parts, t+" moves")
	}
	keys := make([]string, 0, len(kept))
	for t := range kept {
		keys = append(keys, t)
	}
	sort.Strings(keys)
	for _, t := range keys {
		parts = append(parts, t+" "+kept[t])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// Format writes r for people: what was released or rolled back, where the
// floating tags went and why, the upload, the record, and the command that
// deploys the pinned reference. It is the one text form of a Result; its
// JSON form is its fields.
func (r *Result) Format(w io.Writer) {
	switch {
	case r.Kind == KindRollback && len(r.Moved) == 0:
		fmt.Fprintf(w, "rollback to %s: nothing to move (%s)\n", r.Version, r.Ref)
	case r.Kind == KindRollback:
		fmt.Fprintf(w, "rolled back to %s: %s\n", r.Version, r.Ref)
	case r.AlreadyReleased:
		fmt.Fprintf(w, "%s already released: %s (nothing changed)\n", r.VersionTag, r.Ref)
	case r.Resumed:
		fmt.Fprintf(w, "finished interrupted release %s: %s\n", r.VersionTag, r.Ref)
	default:
		fmt.Fprintf(w, "released %s: %s\n", r.VersionTag, r.Ref)
	}
	if len(r.Moved) > 0 {
		fmt.Fprintf(w, "  moved: %s\n", strings.Join(r.Moved, ", "))
	}
	keys := make([]string, 0, len(r.Kept))
	for t := range r.Kept {
		keys = append(keys, t)
	}
	sort.Strings(keys)
	for _, t := range keys {
		fmt.Fprintf(w, "  kept:  %s %s\n", t, r.Kept[t])
	}
	if r.Kind == KindRelease && !r.AlreadyReleased {
		fmt.Fprintf(w, "  uploaded %d bytes in %d blobs (%d already present, %d mounted)\n", r.BytesUploaded, r.BlobsUploaded, r.BlobsSkipped, r.BlobsMounted)
	}
	if r.Record.Kind != "" {
		fmt.Fprintf(w, "  record: %s:%s\n", r.Repo, r.RecordTag)
	}
	fmt.Fprintf(w, "  deploy: %s\n", DeployCommand(path.Base(r.Repo), r.Ref))
}
