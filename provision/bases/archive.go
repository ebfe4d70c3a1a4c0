package bases

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/untar"
)

// refNameAnnotation names an image inside an OCI image layout.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// Pull returns the lock's runtime and the builder Ensure chose for it, as
// the registry holds them.
func Pull(ctx context.Context, registry string, l *Lock) (runtime, builder v1.Image, err error) {
	d, ok := inRegistry(ctx, registry, l)
	if !ok {
		return nil, nil, fmt.Errorf("bases: %s does not hold the bases of this lock: run `go run ./ci up`", registry)
	}
	l.SetLocation(registry, d)
	rt, err := name.NewDigest(l.RuntimeRef())
	if err != nil {
		return nil, nil, err
	}
	bd, err := name.NewDigest(l.BuilderRef())
	if err != nil {
		return nil, nil, err
	}
	if runtime, err = remote.Image(rt, remote.WithContext(ctx)); err != nil {
		return nil, nil, fmt.Errorf("bases: %w", err)
	}
	if builder, err = remote.Image(bd, remote.WithContext(ctx)); err != nil {
		return nil, nil, fmt.Errorf("bases: %w", err)
	}
	return runtime, builder, nil
}

// Save writes the lock's base images from registry into file: a tar of an
// OCI image layout whose two images are named
// "immutable/node-runtime:<node>-<inputs hash>" and
// "immutable/node-builder:<node>-<inputs hash>", and each other runtime
// platform's as "immutable/node-runtime:<node>-<inputs hash>-<arch>" (e.g.
// arm64). Load reads it back on a
// machine that cannot build them (air-gapped) or should not (same builder
// everywhere).
func Save(ctx context.Context, registry string, l *Lock, file string) error {
	rt, bd, err := Pull(ctx, registry, l)
	if err != nil {
		return err
	}
	plats, err := PullPlatforms(ctx, registry, l)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bases-layout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	lay := filepath.Join(dir, "layout")
	if err := writeLayout(lay, l, rt, bd); err != nil {
		return fmt.Errorf("bases: %w", err)
	}
	if err := writePlatformLayout(lay, l, plats); err != nil {
		return fmt.Errorf("bases: %w", err)
	}
	return tarDir(lay, file)
}

// Load pushes the images of an archive written by Save to registry. The
// runtime must be the lock's digest; the builder must be for this lock (its
// inputs hash); it is tagged so the pipeline uses it. Each other runtime
// platform must be its locked digest too.
func Load(ctx context.Context, file, registry string, l *Lock) (*Lock, error) {
	dir, err := os.MkdirTemp("", "bases-layout-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := untarFile(file, dir); err != nil {
		return nil, fmt.Errorf("bases: %s: %w", file, err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("bases: %s is not an archive of `go run ./ci bases save`: %w", file, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("bases: %s: %w", file, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("bases: %s: %w", file, err)
	}
	want := map[string]string{
		RuntimeRepository + ":" + l.Node.Version + "-" + l.InputsHash(): RuntimeRepository,
		BuilderRepository + ":" + l.Node.Version + "-" + l.InputsHash(): BuilderRepository,
	}
	found := map[string]v1.Image{}
	var names []string
	for _, d := range m.Manifests {
		names = append(names, d.Annotations[refNameAnnotation])
		repo, ok := want[d.Annotations[refNameAnnotation]]
		if !ok {
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("bases: %s: %w", file, err)
		}
		found[repo] = img
	}
	if len(found) != 2 {
		return nil, fmt.Errorf("bases: %s holds %s, not the bases of %s (node %s, inputs %s): save them again from a machine with this lock", file, strings.Join(names, ", "), "this lock", l.Node.Version, l.InputsHash())
	}
	rd, err := found[RuntimeRepository].Digest()
	if err != nil {
		return nil, err
	}
	if rd.String() != l.Images.Runtime.Digest {
		return nil, fmt.Errorf("bases: %s: runtime is %s, the lock says %s", file, rd, l.Images.Runtime.Digest)
	}
	if err := loadPlatforms(ctx, file, idx, m, registry, l); err != nil {
		return nil, err
	}
	if err := Push(ctx, registry, l, found[RuntimeRepository], found[BuilderRepository]); err != nil {
		return nil, fmt.Errorf("bases: %w", err)
	}
	bd, err := found[BuilderRepository].Digest()
	if err != nil {
		return nil, err
	}
	l.SetLocation(registry, bd.String())
	return l, nil
}

// tarDir writes the regular files under dir into a tar at file.
func tarDir(dir, file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: fi.Size(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(file)
		return fmt.Errorf("bases: writing %s: %w", file, err)
	}
	return nil
}

// untarFile extracts the regular files of the tar at file into dir,
// refusing names that leave it.
func untarFile(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return untar.Extract(f, dir, untar.RegularOnly())
}
