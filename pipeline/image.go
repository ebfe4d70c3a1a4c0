package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"dagger.io/dagger"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"

	"dagger/immutable/publish"
	"dagger/immutable/repro"
)

// Image is a normalized, reproducible runtime image: the one that is tested
// and the one that is published. A multi-platform build is an Image of the
// native platform whose Index lists every platform's image (Variants).
type Image struct {
	// Image is the normalized image, backed by Tarball.
	Image v1.Image
	// Digest is what is published: Image's manifest digest, or Index's
	// digest for a multi-platform build.
	Digest string
	// Tarball is the normalized image as an OCI tarball on the local disk.
	Tarball string
	// Raw is the image as Dagger exported it, before normalization (for
	// diff reports).
	Raw v1.Image
	// Dropped are the paths normalization removed from the build's layers
	// (repro.DefaultNoise). None means the image holds exactly the files of
	// the container Dagger built, timestamps aside, so a test run in that
	// container ran the published files.
	Dropped []string
	// Platform is Image's platform, e.g. linux/amd64.
	Platform string
	// Index is the OCI image index of a multi-platform build (nil for one
	// platform).
	Index v1.ImageIndex
	// Variants are each platform's image of a multi-platform build, the
	// native one first, each with its own manifest digest (nil for one
	// platform).
	Variants []*Image
}

// Artifact is what a release publishes: Index, or Image alone.
func (i *Image) Artifact() publish.Artifact {
	if i.Index != nil {
		return i.Index
	}
	return i.Image
}

// PlatformImages are the images per platform: Variants, or the image itself.
func (i *Image) PlatformImages() []*Image {
	if len(i.Variants) > 0 {
		return i.Variants
	}
	return []*Image{i}
}

// Container loads the normalized image back into Dagger, e.g. to run it as
// a service. Its filesystem and config are exactly the published image's.
func (i *Image) Container(c *dagger.Client) *dagger.Container {
	return c.Container().Import(c.Host().File(i.Tarball))
}

// Normalize exports b's runtime images from Dagger, one per platform, and
// makes each deterministic (normalizePlatform); with more than one
// platform it adds their OCI image index. Files go to workDir.
func Normalize(ctx context.Context, c *dagger.Client, b *Build, workDir string) (*Image, error) {
	pbs := b.Platforms
	imgs := make([]*Image, len(pbs))
	var g errgroup.Group
	for i, pb := range pbs {
		dir := workDir
		if len(pbs) > 1 {
			dir = filepath.Join(workDir, strings.ReplaceAll(pb.Platform, "/", "-"))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
		}
		g.Go(func() error {
			var err error
			imgs[i], err = normalizePlatform(ctx, c, pb, b.Options.Epoch, dir)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if len(imgs) == 1 {
		return imgs[0], nil
	}
	idx, err := imageIndex(imgs)
	if err != nil {
		return nil, err
	}
	d, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	main := *imgs[0]
	main.Index, main.Digest, main.Variants = idx, d.String(), imgs
	return &main, nil
}

// imageIndex is the OCI image index of imgs, each entry carrying its
// platform: the same images give the same bytes.
func imageIndex(imgs []*Image) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, img := range imgs {
		p, err := v1.ParsePlatform(img.Platform)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img.Image, Descriptor: v1.Descriptor{Platform: p}})
	}
	return idx, nil
}

// normalizePlatform exports one platform's runtime image and makes it
// deterministic: every timestamp set to SOURCE_DATE_EPOCH, entries sorted,
// fixed compression, npm noise removed. The runtime base's layers are
// kept as they are, so they keep the pinned base's digests. It checks the
// image is for the platform asked.
func normalizePlatform(ctx context.Context, c *dagger.Client, pb PlatformBuild, epoch time.Time, workDir string) (*Image, error) {
	opts := dagger.ContainerAsTarballOpts{ForcedCompression: dagger.ImageLayerCompressionGzip}
	rawPath := filepath.Join(workDir, "raw.tar")
	var base v1.Image
	var g errgroup.Group
	g.Go(func() error {
		if _, err := pb.Runtime.AsTarball(opts).Export(ctx, rawPath); err != nil {
			return fmt.Errorf("build: %s", failureDetail(err))
		}
		return nil
	})
	g.Go(func() error {
		var err error
		base, err = baseConfig(ctx, c, pb, filepath.Join(workDir, "base.tar"))
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	raw, err := repro.LoadTarball(rawPath)
	if err != nil {
		return nil, err
	}
	if err := checkPlatform(base, pb); err != nil {
		return nil, err
	}
	var dropped []string
	norm, err := repro.Normalize(raw, epoch, repro.Base(base), repro.Remove(repro.DefaultNoise...), repro.Dropped(&dropped))
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
	return &Image{Image: img, Digest: d.String(), Tarball: out, Raw: raw, Platform: pb.Platform, Dropped: dropped}, nil
}

// baseConfigs holds, by platform and reference, the config of runtime bases
// pinned by digest (which cannot change), as config-only images.
var baseConfigs sync.Map

// baseConfig is pb's runtime base as an image that has only its config
// (its layers' diff_ids are what normalization needs): exported to path
// the first time, then kept for the process when the base is pinned.
func baseConfig(ctx context.Context, c *dagger.Client, pb PlatformBuild, path string) (v1.Image, error) {
	key := pb.Platform + " " + pb.RuntimeBase
	if img, ok := baseConfigs.Load(key); ok { // only pinned bases are stored
		return img.(v1.Image), nil
	}
	opts := dagger.ContainerAsTarballOpts{ForcedCompression: dagger.ImageLayerCompressionGzip}
	if _, err := platformContainer(c, pb.Platform).From(pb.RuntimeBase).AsTarball(opts).Export(ctx, path); err != nil {
		return nil, fmt.Errorf("exporting %s runtime base: %w", pb.Platform, err)
	}
	exported, err := repro.LoadTarball(path)
	if err != nil {
		return nil, err
	}
	cf, err := exported.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading %s runtime base: %w", pb.Platform, err)
	}
	img, err := mutate.ConfigFile(empty.Image, cf.DeepCopy())
	if err != nil {
		return nil, err
	}
	if pb.BaseDigest != "" {
		baseConfigs.Store(key, img)
	}
	return img, nil
}

// checkPlatform fails when a base is not an image of pb's platform (a
// single-platform base given for another one).
func checkPlatform(base v1.Image, pb PlatformBuild) error {
	cf, err := base.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading %s runtime base: %w", pb.Platform, err)
	}
	if got := cf.OS + "/" + cf.Architecture; got != pb.Platform {
		return fmt.Errorf("build: %w: runtime base %s is a %s image, not %s: give an image index that has %s, or --platform-base %s=REPO@sha256:…",
			ErrInvalidBase, pb.RuntimeBase, got, pb.Platform, pb.Platform, pb.Platform)
	}
	return nil
}

// BuildReport is what the build flow says about the image it made: its
// digest and what the image declares. Its text form is the digest alone.
type BuildReport struct {
	Digest     string            `json:"digest"`
	Labels     map[string]string `json:"labels"`
	Node       string            `json:"node"`
	Entrypoint string            `json:"entrypoint"`
	// Platforms are a multi-platform build's images (Digest is their
	// index); nil for one platform.
	Platforms []publish.PlatformImage `json:"platforms,omitempty"`
}

// Report describes the image b made.
func (i *Image) Report(b *Build) *BuildReport {
	r := &BuildReport{Digest: i.Digest, Labels: b.Labels, Node: b.NodeVersion}
	if b.App != nil {
		r.Entrypoint = b.App.Entrypoint
	}
	r.Platforms = platformRecords(b, i, nil)
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
