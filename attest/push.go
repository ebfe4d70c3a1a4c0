package attest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Set is everything a release attaches to one image, built before anything
// is pushed.
type Set struct {
	// Subject is the image's manifest descriptor.
	Subject v1.Descriptor
	// Referrers are the OCI 1.1 artifacts about Subject.
	Referrers []*Referrer
	// Cosign are the images for cosign's .sig and .att tags (none when
	// the release is not signed).
	Cosign []*CosignImage
}

// Pushed says how a Set went to the registry.
type Pushed struct {
	// ReferrersAPI is true when the registry serves the referrers API.
	ReferrersAPI bool
	// FallbackTag is the referrers tag schema's tag when it was used
	// (written or already complete), "" with the API.
	FallbackTag string
	// Tags are the tags written; Kept those that already held what the
	// release would write.
	Tags, Kept []string
}

// Push writes s to repo without overwriting a tag that already holds what
// it needs: blobs, each referrer manifest by digest, then (without the
// referrers API) the fallback index sha256-<hex> listing the referrers
// already there and s's, written once, then cosign's .att and .sig
// images. A registry that refuses to overwrite a tag fails only when a
// tag holds something else; the error names it.
func Push(ctx context.Context, repo name.Repository, s *Set, opts ...remote.Option) (*Pushed, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	subject := repo.Digest(s.Subject.Digest.String())
	api, err := HasReferrersAPI(subject, opts...)
	if err != nil {
		return nil, err
	}
	p := &Pushed{ReferrersAPI: api}
	for _, r := range s.Referrers {
		for _, b := range r.blobs {
			if err := remote.WriteLayer(repo, b, opts...); err != nil {
				return nil, fmt.Errorf("attest: uploading %s blob to %s: %w (no tag was changed)", r.ArtifactType, repo, err)
			}
		}
	}
	// Each referrer manifest by digest. With the referrers API the
	// registry indexes it. Without, go-containerregistry would rewrite the
	// fallback tag once per manifest; its tag fallback is turned off (the
	// PUT is made, then it reports the missing API) and a HEAD by digest
	// confirms the manifest landed. The index follows, written once.
	for _, r := range s.Referrers {
		ref := repo.Digest(r.Digest.String())
		if api {
			if err := remote.Put(ref, r, opts...); err != nil {
				return nil, fmt.Errorf("attest: writing %s referrer %s: %w (no tag was changed)", r.ArtifactType, r.Digest, err)
			}
			continue
		}
		err := remote.Put(ref, r, append(opts, remote.WithReferrersTagFallback(false))...)
		if err == nil {
			continue
		}
		if d, herr := remote.Head(ref, opts...); herr != nil || d.Digest != r.Digest {
			return nil, fmt.Errorf("attest: writing %s referrer %s: %w (no tag was changed)", r.ArtifactType, r.Digest, err)
		}
	}
	if !api && len(s.Referrers) > 0 {
		tag, written, err := writeFallbackIndex(subject, s.Referrers, opts...)
		if err != nil {
			return nil, err
		}
		p.FallbackTag = tag.TagStr()
		if written {
			p.Tags = append(p.Tags, tag.TagStr())
		} else {
			p.Kept = append(p.Kept, tag.TagStr())
		}
	}
	for _, c := range s.Cosign {
		if c.Unchanged {
			p.Kept = append(p.Kept, c.Tag.TagStr())
			continue
		}
		if err := remote.Write(c.Tag, c.Image, opts...); err != nil {
			return nil, fmt.Errorf("attest: writing %s: %w%s", c.Tag, err, overwriteHint(err))
		}
		p.Tags = append(p.Tags, c.Tag.TagStr())
	}
	return p, nil
}

// HasReferrersAPI reports whether the registry serves the OCI referrers
// API for subject's repository (go-containerregistry's remote.Referrers
// with the tag fallback turned off: it fails without the API).
func HasReferrersAPI(subject name.Digest, opts ...remote.Option) (bool, error) {
	_, err := remote.Referrers(subject, append(opts, remote.WithReferrersTagFallback(false))...)
	var terr *transport.Error
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &terr):
		return false, fmt.Errorf("attest: asking %s for referrers of %s: %w", subject.Context(), subject.DigestStr(), err)
	default:
		return false, nil
	}
}

// writeFallbackIndex writes the referrers tag of subject once: the index
// already there plus refs, sorted by digest as go-containerregistry sorts
// it. It writes nothing when the tag already lists every one of refs.
func writeFallbackIndex(subject name.Digest, refs []*Referrer, opts ...remote.Option) (name.Tag, bool, error) {
	ts, err := FallbackTag(subject.DigestStr())
	if err != nil {
		return name.Tag{}, false, err
	}
	tag := subject.Context().Tag(ts)
	im := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	existed := false
	desc, err := remote.Get(tag, opts...)
	switch {
	case err == nil:
		idx, err := desc.ImageIndex()
		if err != nil {
			return tag, false, fmt.Errorf("attest: %s is not a referrers index: %w", tag, err)
		}
		cur, err := idx.IndexManifest()
		if err != nil {
			return tag, false, fmt.Errorf("attest: reading %s: %w", tag, err)
		}
		im.Manifests, existed = cur.Manifests, true
	case !isNotFound(err):
		return tag, false, fmt.Errorf("attest: reading %s: %w", tag, err)
	}
	have := map[v1.Hash]bool{}
	for _, d := range im.Manifests {
		have[d.Digest] = true
	}
	added := false
	for _, r := range refs {
		if !have[r.Digest] {
			im.Manifests, have[r.Digest], added = append(im.Manifests, r.Descriptor()), true, true
		}
	}
	if !added {
		return tag, false, nil
	}
	sort.Slice(im.Manifests, func(i, j int) bool { return im.Manifests[i].Digest.String() < im.Manifests[j].Digest.String() })
	if err := remote.Put(tag, indexTaggable{im}, opts...); err != nil {
		hint := ""
		if existed {
			hint = overwriteHint(err)
		}
		return tag, false, fmt.Errorf("attest: writing referrers index %s: %w%s", tag, err, hint)
	}
	return tag, true, nil
}

// overwriteHint explains a refused write to an existing tag.
func overwriteHint(err error) string {
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == 400 || terr.StatusCode == 403 || terr.StatusCode == 409) {
		return " (the tag already exists with other content and the registry refuses to overwrite tags: something other than this release attached to the image before; remove that tag or attach from an empty tag)"
	}
	return ""
}

// indexTaggable is an index manifest to PUT.
type indexTaggable struct{ im v1.IndexManifest }

func (t indexTaggable) RawManifest() ([]byte, error) { return json.Marshal(t.im) }
func (t indexTaggable) MediaType() (types.MediaType, error) {
	return types.OCIImageIndex, nil
}
