package publish

import (
	"bytes"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"dagger/immutable/internal/regerr"
)

// headJobs bounds concurrent HEAD requests when resolving many tags.
const headJobs = 4

// isNotFound is regerr.NotFound.
func isNotFound(err error) bool { return regerr.NotFound(err) }

// listTags returns the repository's tags; a repository that does not exist
// yet has none.
func (c *client) listTags() ([]string, error) {
	tags, err := remote.List(c.repo, c.opts...)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", c.repo, err)
	}
	return tags, nil
}

// head returns the descriptor tag points at, or nil if the tag does not
// exist.
func (c *client) head(tag string) (*v1.Descriptor, error) {
	d, err := remote.Head(c.repo.Tag(tag), c.opts...)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", c.repo.Tag(tag), err)
	}
	return d, nil
}

// digests resolves tags to digests concurrently; missing tags are left out.
func (c *client) digests(tags []string) (map[string]string, error) {
	out := make([]string, len(tags))
	var g errgroup.Group
	g.SetLimit(headJobs)
	for i, t := range tags {
		g.Go(func() error {
			d, err := c.head(t)
			if d != nil {
				out[i] = d.Digest.String()
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(tags))
	for i, t := range tags {
		if out[i] != "" {
			m[t] = out[i]
		}
	}
	return m, nil
}

// verify reads the manifest back by digest and checks that the registry
// stores exactly want (same bytes, same digest) and has each of its blobs
// (config and layers) at the declared size.
func (c *client) verify(want v1.Hash, raw []byte) (*remote.Descriptor, error) {
	ref := c.repo.Digest(want.String())
	desc, err := remote.Get(ref, c.opts...)
	if err != nil {
		return nil, fmt.Errorf("verifying %s: %w", ref, err)
	}
	got, _, err := v1.SHA256(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("verifying %s: %w", ref, err)
	}
	if got != want || desc.Digest != want || string(desc.Manifest) != string(raw) {
		return nil, fmt.Errorf("verifying %s: registry returned manifest %s (descriptor %s), want %s", ref, got, desc.Digest, want)
	}
	if desc.MediaType.IsIndex() {
		// A multi-platform release: each platform's image, the same way.
		im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return nil, fmt.Errorf("verifying %s: %w", ref, err)
		}
		for _, m := range im.Manifests {
			if _, err := c.verifyStored(m.Digest); err != nil {
				return nil, fmt.Errorf("verifying %s: %w", ref, err)
			}
		}
		return desc, nil
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("verifying %s: %w", ref, err)
	}
	// Not every registry checks that a manifest's blobs exist when it is
	// PUT; check here so that no tag can point at a partial upload.
	blobs := append([]v1.Descriptor{m.Config}, m.Layers...)
	var g errgroup.Group
	g.SetLimit(headJobs)
	for _, b := range blobs {
		g.Go(func() error {
			l, err := remote.Layer(c.repo.Digest(b.Digest.String()), c.opts...)
			if err != nil {
				return err
			}
			size, err := l.Size()
			if err != nil {
				return fmt.Errorf("blob %s: %w", b.Digest, err)
			}
			if size >= 0 && size != b.Size {
				return fmt.Errorf("blob %s: registry has %d bytes, manifest says %d", b.Digest, size, b.Size)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("verifying %s: %w", ref, err)
	}
	return desc, nil
}

// verifyStored reads a manifest that is already in the registry by digest
// and checks that its bytes hash to that digest.
func (c *client) verifyStored(want v1.Hash) (*remote.Descriptor, error) {
	desc, err := remote.Get(c.repo.Digest(want.String()), c.opts...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", c.repo.Digest(want.String()), err)
	}
	return c.verify(want, desc.Manifest)
}
