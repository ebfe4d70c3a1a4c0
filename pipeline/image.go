package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"dagger.io/dagger"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"dagger/immutable/repro"
)

// Image is a normalized, reproducible runtime image: the one that is tested
// and the one that is published.
type Image struct {
	// Image is the normalized image, backed by Tarball.
	Image v1.Image
	// Digest is Image's manifest digest (sha256:…).
	Digest string
	// Tarball is the normalized image as an OCI tarball on the local disk.
	Tarball string
	// Raw is the image as Dagger exported it, before normalization (for
	// diff reports).
	Raw v1.Image
}

// Container loads the normalized image back into Dagger, e.g. to run it as
// a service. Its filesystem and config are exactly the published image's.
func (i *Image) Container(c *dagger.Client) *dagger.Container {
	return c.Container().Import(c.Host().File(i.Tarball))
}

// Normalize exports b's runtime image from Dagger and makes it
// deterministic: every timestamp set to SOURCE_DATE_EPOCH, entries sorted,
// fixed compression, npm noise removed. The runtime base's layers are kept
// as they are, so they keep the pinned base's digests. Files go to workDir.
func Normalize(ctx context.Context, c *dagger.Client, b *Build, workDir string) (*Image, error) {
	opts := dagger.ContainerAsTarballOpts{ForcedCompression: dagger.ImageLayerCompressionGzip}
	rawPath := filepath.Join(workDir, "raw.tar")
	basePath := filepath.Join(workDir, "base.tar")
	var g errgroup.Group
	g.Go(func() error {
		if _, err := b.Runtime.AsTarball(opts).Export(ctx, rawPath); err != nil {
			return fmt.Errorf("build: %s", failureDetail(err))
		}
		return nil
	})
	g.Go(func() error {
		if _, err := c.Container().From(b.Options.RuntimeBase).AsTarball(opts).Export(ctx, basePath); err != nil {
			return fmt.Errorf("exporting runtime base: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	raw, err := repro.LoadTarball(rawPath)
	if err != nil {
		return nil, err
	}
	base, err := repro.LoadTarball(basePath)
	if err != nil {
		return nil, err
	}
	norm, err := repro.Normalize(raw, b.Options.Epoch, repro.Base(base), repro.Remove(repro.DefaultNoise...))
	if err != nil {
		return nil, fmt.Errorf("normalizing image: %w", err)
	}
	out := filepath.Join(workDir, "image.tar")
	if err := repro.WriteOCITarball(norm, out); err != nil {
		return nil, fmt.Errorf("writing normalized image: %w", err)
	}
	// Reload from disk so later stages do not recompute layers in memory.
	img, err := repro.LoadTarball(out)
	if err != nil {
		return nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	return &Image{Image: img, Digest: d.String(), Tarball: out, Raw: raw}, nil
}

// BuildReport is what the build flow says about the image it made: its
// digest and what the image declares. Its text form is the digest alone.
type BuildReport struct {
	Digest     string            `json:"digest"`
	Labels     map[string]string `json:"labels"`
	Node       string            `json:"node"`
	Entrypoint string            `json:"entrypoint"`
}

// Report describes the image b made.
func (i *Image) Report(b *Build) *BuildReport {
	r := &BuildReport{Digest: i.Digest, Labels: b.Labels, Node: b.NodeVersion}
	if b.App != nil {
		r.Entrypoint = b.App.Entrypoint
	}
	return r
}

// Format writes the digest.
func (r *BuildReport) Format(w io.Writer) { fmt.Fprintln(w, r.Digest) }

// BuildImage is BuildApp followed by Normalize, in a new directory under
// workDir: the build flow of both doors.
func BuildImage(ctx context.Context, c *dagger.Client, o BuildOptions, workDir string) (*Build, *Image, error) {
	b, err := BuildApp(ctx, c, o)
	if err != nil {
		return nil, nil, err
	}
	img, err := normalizeIn(ctx, c, b, workDir)
	if err != nil {
		return nil, nil, err
	}
	return b, img, nil
}

// normalizeIn runs Normalize in a new directory under workDir.
func normalizeIn(ctx context.Context, c *dagger.Client, b *Build, workDir string) (*Image, error) {
	dir, err := os.MkdirTemp(workDir, "build-")
	if err != nil {
		return nil, err
	}
	return Normalize(ctx, c, b, dir)
}

// imageFunc returns an image, waiting for it if it is still being made.
type imageFunc func(ctx context.Context) (*Image, error)

// ready is the imageFunc of an image already made.
func ready(img *Image) imageFunc {
	return func(context.Context) (*Image, error) { return img, nil }
}

// pendingImage is b's image being exported and normalized in the
// background, so that work which needs only the build can run meanwhile.
type pendingImage struct {
	done chan struct{}
	img  *Image
	err  error
}

// startImage starts normalizeIn in the background.
func startImage(ctx context.Context, c *dagger.Client, b *Build, workDir string) *pendingImage {
	p := &pendingImage{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.img, p.err = normalizeIn(ctx, c, b, workDir)
	}()
	return p
}

// wait returns the image once it is made (an imageFunc).
func (p *pendingImage) wait(ctx context.Context) (*Image, error) {
	select {
	case <-p.done:
		return p.img, p.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
