package publish

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Artifact is what Publish releases: a v1.Image, or a v1.ImageIndex of one
// image per platform (a multi-platform release). Tags, records and
// signatures name its digest either way.
type Artifact interface {
	Digest() (v1.Hash, error)
	RawManifest() ([]byte, error)
	MediaType() (types.MediaType, error)
}

// write pushes a by digest: an image with its blobs (mounted where
// MountFrom allows), or an index after each of its images.
func (c *client) write(ref name.Digest, a Artifact) error {
	switch a := a.(type) {
	case v1.Image:
		return remote.Write(ref, c.mountable(a), c.opts...)
	case v1.ImageIndex:
		m, err := a.IndexManifest()
		if err != nil {
			return err
		}
		for _, d := range m.Manifests {
			img, err := a.Image(d.Digest)
			if err != nil {
				return fmt.Errorf("index entry %s: %w", d.Digest, err)
			}
			if err := remote.Write(c.repo.Digest(d.Digest.String()), c.mountable(img), c.opts...); err != nil {
				return err
			}
		}
		return remote.WriteIndex(ref, a, c.opts...)
	default:
		return fmt.Errorf("cannot publish a %T: want an image or an image index", a)
	}
}
