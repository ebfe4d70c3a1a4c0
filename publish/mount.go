package publish

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// mountable returns img with each layer it shares with an image of
// c.o.MountFrom wrapped as a go-containerregistry MountableLayer naming that
// image, so that remote.Write asks the registry to mount the blob from the
// image's repository instead of uploading it (a registry that refuses the
// mount gets the upload, as without it). Only images in the same registry
// as c.repo and in another repository count. Mount sources are an
// optimization: one that cannot be read is skipped and logged.
func (c *client) mountable(img v1.Image) v1.Image {
	from := map[v1.Hash]name.Reference{}
	for _, s := range c.o.MountFrom {
		ref, err := c.mountSource(s)
		if err != nil {
			c.o.logf("publish: not mounting from %s: %v", s, err)
			continue
		}
		if ref == nil {
			continue
		}
		src, err := remote.Image(ref, c.opts...)
		if err != nil {
			c.o.logf("publish: not mounting from %s: %v", s, err)
			continue
		}
		m, err := src.Manifest()
		if err != nil {
			c.o.logf("publish: not mounting from %s: %v", s, err)
			continue
		}
		for _, l := range m.Layers {
			if _, ok := from[l.Digest]; !ok {
				from[l.Digest] = ref
			}
		}
	}
	if len(from) == 0 {
		return img
	}
	return &mountImage{Image: img, from: from}
}

// mountSource parses s; nil when it is in another registry or in c.repo
// itself (nothing to mount).
func (c *client) mountSource(s string) (name.Reference, error) {
	var nopts []name.Option
	if c.access.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	ref, err := name.ParseReference(s, nopts...)
	if err != nil {
		return nil, fmt.Errorf("mount source: %w", err)
	}
	if ref.Context().RegistryStr() != c.repo.RegistryStr() || ref.Context().String() == c.repo.String() {
		return nil, nil
	}
	return ref, nil
}

// mountImage is an image whose layers found in from are mountable from
// the repository of the image that holds them.
type mountImage struct {
	v1.Image
	from map[v1.Hash]name.Reference
}

// Layers implements v1.Image.
func (m *mountImage) Layers() ([]v1.Layer, error) {
	ls, err := m.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		out[i] = l
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		if ref, ok := m.from[d]; ok {
			out[i] = &remote.MountableLayer{Layer: l, Reference: ref}
		}
	}
	return out, nil
}
