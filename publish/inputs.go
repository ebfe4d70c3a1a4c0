package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Inputs identify everything that decided a release's image and its gates,
// computed without building: the source's content digest, the bases by
// digest, the build and release options, the advisory data and the
// pipeline's own version. Two releases with the same Key ran the same gates
// on the same image.
type Inputs struct {
	// Key is NewInputs' hash of Parts.
	Key string `json:"key"`
	// Parts maps each input to its digest or value, e.g. "source" ->
	// "sha256:…", "runtimeBase" -> "repo@sha256:…".
	Parts map[string]string `json:"parts"`
}

// NewInputs returns parts with their key: the SHA-256 of the sorted
// "name=value" lines.
func NewInputs(parts map[string]string) *Inputs {
	names := make([]string, 0, len(parts))
	for n := range parts {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s=%s\n", n, parts[n])
	}
	return &Inputs{Key: "sha256:" + hex.EncodeToString(h.Sum(nil)), Parts: parts}
}

// Short is the key's first 12 hex digits, for people.
func (in *Inputs) Short() string {
	k := strings.TrimPrefix(in.Key, "sha256:")
	if len(k) > 12 {
		k = k[:12]
	}
	return k
}

// Changed names the parts that differ between old and in (added, removed
// or changed), sorted; nil when old is nil or the keys are equal.
func (in *Inputs) Changed(old *Inputs) []string {
	if old == nil || old.Key == in.Key {
		return nil
	}
	var out []string
	for n, v := range in.Parts {
		if w, ok := old.Parts[n]; !ok || w != v {
			out = append(out, n)
		}
	}
	for n := range old.Parts {
		if _, ok := in.Parts[n]; !ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	if len(out) == 0 { // same parts, another way of hashing them
		out = []string{"key"}
	}
	return out
}

// Released is what a repository holds for one version: where its version tag
// points, its release record, and which attachments the record names that
// the registry does not have.
type Released struct {
	// VersionTag is the version's tag, e.g. "v1.2.3".
	VersionTag string
	// Digest is the manifest digest the version tag points at, "" when the
	// version is not released.
	Digest string
	// Record is the release record, nil when there is none (not released,
	// interrupted, or pushed by other tooling).
	Record *Record
	// RecordTag is the record's tag, e.g. "v1.2.3_release".
	RecordTag string
	// Missing lists the attachments the record names that the repository
	// does not hold, as "<kind> <digest>".
	Missing []string
}

// Lookup reads what the target's repository holds for version v, without writing: the version
// tag, the release record, and whether each attachment the record names
// (SBOM, signature, attestations) is in the repository by digest. A version
// that is not released gives a Released with Digest "".
func Lookup(ctx context.Context, t *Target, v *semver.Version, o Options) (_ *Released, err error) {
	defer func() { err = classify(err) }()
	c, err := newClient(ctx, t, o)
	if err != nil {
		return nil, err
	}
	versionTag, _, err := tagsOf(v, c.prefix)
	if err != nil {
		return nil, err
	}
	r := &Released{VersionTag: versionTag, RecordTag: releaseRecordTag(versionTag)}
	cur, err := c.head(versionTag)
	if err != nil || cur == nil {
		return r, err
	}
	r.Digest = cur.Digest.String()
	done, err := c.head(r.RecordTag)
	if err != nil || done == nil {
		return r, err
	}
	if r.Record, err = c.readRecord(r.RecordTag); err != nil {
		return nil, err
	}
	for _, a := range r.Record.attachments() {
		d, err := c.headDigest(a[1])
		if err != nil {
			return nil, err
		}
		if !d {
			r.Missing = append(r.Missing, a[0]+" "+a[1])
		}
	}
	return r, nil
}

// attachments lists the record's attachments as {kind, digest}, sorted.
func (rec *Record) attachments() [][2]string {
	var out [][2]string
	if rec.SBOMDigest != "" {
		out = append(out, [2]string{"sbom", rec.SBOMDigest})
	}
	if rec.Signature != "" {
		out = append(out, [2]string{"signature", rec.Signature})
	}
	kinds := make([]string, 0, len(rec.Attestations))
	for k := range rec.Attestations {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		out = append(out, [2]string{k, rec.Attestations[k]})
	}
	return out
}

// headDigest reports whether the repository holds a manifest by digest.
func (c *client) headDigest(digest string) (bool, error) {
	_, err := remote.Head(c.repo.Digest(digest), c.opts...)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("resolving %s: %w", c.repo.Digest(digest), err)
	}
	return true, nil
}
