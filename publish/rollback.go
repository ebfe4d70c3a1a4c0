package publish

import (
	"context"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Rollback points the floating tags of version v's lines (e.g. v1.2, v1,
// latest for 1.2.3) in the target's repository that currently point at a
// newer release back at v's
// digest, explicitly overriding "never backwards", and records it as a
// rollback record (tag rollback_<n>). Tags that point at to already, at an
// older release, or at something that is no release are left alone and
// explained in Result.Kept. Rolling back to a version that was never
// released, or to a prerelease, is refused. When nothing needs to move the
// result has no Moved tags and no record is written.
func Rollback(ctx context.Context, t *Target, v *semver.Version, o Options) (_ *Result, err error) {
	defer func() { err = classify(err) }()
	c, err := newClient(ctx, t, o)
	if err != nil {
		return nil, err
	}
	versionTag, floating, err := tagsOf(v, c.prefix)
	if err != nil {
		return nil, err
	}
	if v.Prerelease() != "" {
		return nil, fmt.Errorf("rollback to %s: prereleases carry no floating tags; roll back to a release such as %d.%d.%d", v, v.Major(), v.Minor(), v.Patch())
	}
	lock, err := c.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	tags, err := c.listTags()
	if err != nil {
		return nil, err
	}
	vts := versionTags(tags, c.prefix)
	names := make([]string, len(vts))
	for i, tv := range vts {
		names[i] = tv.Tag
	}
	digests, err := c.digests(append(names, floating...))
	if err != nil {
		return nil, err
	}
	target, ok := digests[versionTag]
	if !ok {
		return nil, fmt.Errorf("rollback to %s: %s was never released to %s (released: %s)", v, c.repo.Tag(versionTag), c.repo, releasedList(vts))
	}
	res := &Result{
		Kind:       KindRollback,
		Repo:       c.repo.String(),
		Ref:        c.repo.Digest(target).String(),
		Digest:     target,
		Version:    v.String(),
		VersionTag: versionTag,
		Kept:       map[string]string{},
	}
	previous := map[string]string{}
	for _, ft := range floating {
		at, ok := digests[ft]
		if !ok {
			res.Kept[ft] = "does not exist; rollback only moves existing tags"
			continue
		}
		if at == target {
			res.Kept[ft] = fmt.Sprintf("already at %s", v)
			continue
		}
		// The release ft points at: the highest version of its line with that digest.
		var cur *semver.Version
		for _, tv := range vts {
			if digests[tv.Tag] == at && inLine(ft, c.prefix, tv.Version) && (cur == nil || tv.Version.GreaterThan(cur)) {
				cur = tv.Version
			}
		}
		switch {
		case cur == nil:
			res.Kept[ft] = fmt.Sprintf("points at %s, which is no release of its line; left alone", at)
		case !cur.GreaterThan(v):
			res.Kept[ft] = fmt.Sprintf("stays at %s (not newer than %s; rollback never moves tags forward)", cur, v)
		default:
			res.Moved = append(res.Moved, ft)
			previous[ft] = at
			c.o.logf("rollback: %s %s -> %s", ft, cur, v)
		}
	}
	if len(res.Moved) == 0 {
		res.RecordTag = ""
		c.o.logf("rollback: nothing to move; %s", describeMoves(nil, res.Kept))
		return res, nil
	}

	h, err := v1.NewHash(target)
	if err != nil {
		return nil, fmt.Errorf("rollback to %s: %w", v, err)
	}
	desc, err := c.verifyStored(h)
	if err != nil {
		return nil, err
	}
	n := 1
	for _, t := range tags {
		if k := rollbackNumber(t); k >= n {
			n = k + 1
		}
	}
	rec := Record{
		Kind: KindRollback, Version: v.String(), Repo: res.Repo, Digest: target,
		Tags: res.Moved, Previous: previous, Created: c.o.now(),
	}
	res.Record, res.RecordTag = rec, rollbackRecordTag(n)
	rm, err := c.writeRecord(rec)
	if err != nil {
		return nil, fmt.Errorf("%w (no tags were changed)", err)
	}
	for _, ft := range res.Moved {
		if err := c.tag(ft, desc); err != nil {
			return nil, fmt.Errorf("%w (rollback to %s incomplete; re-run it to finish)", err, v)
		}
	}
	if err := c.tag(res.RecordTag, rm); err != nil {
		return nil, fmt.Errorf("%w (tags rolled back to %s but not recorded)", err, v)
	}
	c.o.logf("rollback: %s now at %s (record %s)", strings.Join(res.Moved, ", "), res.Ref, res.RecordTag)
	return res, nil
}

// releasedList renders version tags for an error message.
func releasedList(vts []tagVersion) string {
	if len(vts) == 0 {
		return "none"
	}
	s := make([]string, len(vts))
	for i, tv := range vts {
		s[i] = tv.Version.String()
	}
	return strings.Join(s, ", ")
}
