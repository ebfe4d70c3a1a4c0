package bases

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Ensure makes sure the registry holds both locked base images and returns
// the lock:
//
//   - if the registry already has both locked digests, nothing is built or
//     downloaded;
//   - otherwise both images are built from the pinned inputs (downloads are
//     cached in CacheDir) and compared to the lock: a different digest is an
//     error naming the image, the layer and its inputs;
//   - with Relock the inputs are resolved again, and the lock is rewritten
//     with what was built;
//   - then both images are pushed by digest and tagged "<node version>" and
//     "<node version>-<inputs hash>".
func Ensure(ctx context.Context, o Options) (*Lock, error) {
	o = o.withDefaults()
	l, err := LoadLock(o.LockPath)
	if err != nil {
		if !o.Relock || !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("bases: %w (create or refresh it with Relock)", err)
		}
		fmt.Fprintf(o.Log, "==> bases: no lock at %s: starting a new one\n", o.LockPath)
		l = NewLock()
	}
	if o.Registry != "-" {
		l.registry = o.Registry
	}
	if !o.Relock {
		if l.Images.Runtime.Digest == "" || l.Images.Builder.Digest == "" {
			return nil, fmt.Errorf("bases: lock %s has no image digests: relock", o.LockPath)
		}
		if o.Registry != "-" && o.LayoutDir == "" {
			if present(ctx, o.Registry, l) {
				fmt.Fprintf(o.Log, "==> bases: reused %s and %s\n", l.RuntimeRef(), l.BuilderRef())
				return l, nil
			}
		}
	}

	want := l
	if o.Relock {
		fmt.Fprintln(o.Log, "==> bases: resolving inputs (relock)")
		if want, err = resolve(ctx, o, l); err != nil {
			return nil, fmt.Errorf("bases: relock: %w", err)
		}
	}

	start := time.Now()
	fmt.Fprintf(o.Log, "==> bases: building node %s images\n", want.Node.Version)
	rt, bd, pkgs, err := build(ctx, o, want)
	if err != nil {
		return nil, fmt.Errorf("bases: build: %w", err)
	}
	if o.Relock {
		want.Debian.BuilderPackages = pkgs
		if want.Images.Runtime, err = lockedImage(RuntimeRepository, rt); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
		if want.Images.Builder, err = lockedImage(BuilderRepository, bd); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
	} else {
		if err := compare(want, rt, bd); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
	}
	fmt.Fprintf(o.Log, "    built runtime %s, builder %s (%s)\n", want.Images.Runtime.Digest, want.Images.Builder.Digest, time.Since(start).Round(time.Second))

	if o.LayoutDir != "" {
		if err := writeLayout(o.LayoutDir, want, rt, bd); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
	}
	if o.Registry != "-" {
		fmt.Fprintf(o.Log, "==> bases: pushing to %s\n", o.Registry)
		if err := push(ctx, o.Registry, want, want.Images.Runtime, rt.Image); err != nil {
			return nil, fmt.Errorf("bases: push runtime: %w", err)
		}
		if err := push(ctx, o.Registry, want, want.Images.Builder, bd.Image); err != nil {
			return nil, fmt.Errorf("bases: push builder: %w", err)
		}
	}
	if o.Relock {
		if err := want.Save(o.LockPath); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
		fmt.Fprintf(o.Log, "==> bases: wrote %s\n", o.LockPath)
	}
	return want, nil
}

// present reports whether the registry has both locked manifests.
// Present reports whether registry holds both images of the lock at
// path, by digest: then Ensure has nothing to do.
func Present(ctx context.Context, registry, path string) bool {
	l, err := LoadLock(path)
	return err == nil && present(ctx, registry, l)
}

func present(ctx context.Context, registry string, l *Lock) bool {
	for _, ref := range []string{l.RuntimeRefIn(registry), l.BuilderRefIn(registry)} {
		d, err := name.NewDigest(ref)
		if err != nil {
			return false
		}
		if _, err := remote.Head(d, remote.WithContext(ctx)); err != nil {
			return false
		}
	}
	return true
}

// resolve returns a copy of l with fresh inputs: the Debian candidates of
// the runtime packages and the chosen node and npm versions' integrity.
func resolve(ctx context.Context, o Options, l *Lock) (*Lock, error) {
	n := *l
	n.Comment = lockComment
	n.Debian.RuntimeDebs = nil
	n.Debian.BuilderPackages = nil
	nodeVersion := firstNonEmpty(o.NodeVersion, l.Node.Version, DefaultNodeVersion)
	npmVersion := firstNonEmpty(o.NPMVersion, l.NPM.Version, DefaultNPMVersion)
	var err error
	if n.Node, err = resolveNPM(ctx, NodePackage, nodeVersion); err != nil {
		return nil, err
	}
	if n.NPM, err = resolveNPM(ctx, "npm", npmVersion); err != nil {
		return nil, err
	}
	if err := aptUpdate(ctx, o.Log); err != nil {
		return nil, err
	}
	names := DefaultRuntimeDebs
	if len(l.Debian.RuntimeDebs) > 0 {
		names = nil
		for _, d := range l.Debian.RuntimeDebs {
			names = append(names, d.Name)
		}
	}
	for _, name := range names {
		d, err := resolveDeb(ctx, name, l.Debian.Arch)
		if err != nil {
			return nil, err
		}
		n.Debian.RuntimeDebs = append(n.Debian.RuntimeDebs, d)
	}
	sortDebs(n.Debian.RuntimeDebs)
	n.Images = Images{Runtime: Image{Repository: RuntimeRepository}, Builder: Image{Repository: BuilderRepository}}
	return &n, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// build fetches every input and builds both images.
func build(ctx context.Context, o Options, l *Lock) (rt, bd *built, pkgs []string, err error) {
	nodeTgz, err := fetchNPM(ctx, o.CacheDir, l.Node, o.Log)
	if err != nil {
		return nil, nil, nil, err
	}
	npmTgz, err := fetchNPM(ctx, o.CacheDir, l.NPM, o.Log)
	if err != nil {
		return nil, nil, nil, err
	}
	node, headers, err := nodeLayers(l, nodeTgz, layerDir(o))
	if err != nil {
		return nil, nil, nil, err
	}
	fmt.Fprintln(o.Log, "    runtime: unpacking debs")
	if rt, err = buildRuntime(ctx, o, l, node); err != nil {
		return nil, nil, nil, fmt.Errorf("runtime: %w", err)
	}
	fmt.Fprintln(o.Log, "    builder: mmdebstrap root + node + npm")
	if bd, pkgs, err = buildBuilder(ctx, o, l, node, headers, npmTgz); err != nil {
		return nil, nil, nil, fmt.Errorf("builder: %w", err)
	}
	return rt, bd, pkgs, nil
}

// lockedImage records a built image for the lock.
func lockedImage(repo string, b *built) (Image, error) {
	d, err := b.Image.Digest()
	if err != nil {
		return Image{}, fmt.Errorf("%s digest: %w", repo, err)
	}
	im := Image{Repository: repo, Digest: d.String()}
	for _, nl := range b.Layers {
		ld, err := nl.Layer.Digest()
		if err != nil {
			return Image{}, fmt.Errorf("%s layer %s: %w", repo, nl.Name, err)
		}
		sz, err := nl.Layer.Size()
		if err != nil {
			return Image{}, fmt.Errorf("%s layer %s: %w", repo, nl.Name, err)
		}
		im.Layers = append(im.Layers, LockedLayer{Name: nl.Name, Digest: ld.String(), Size: sz})
	}
	return im, nil
}

// MismatchError says which image, and which of its layers, did not build to
// the locked digest.
type MismatchError struct {
	Repository string
	Built      string
	Locked     string
	// Layers describes each differing layer: name, digests and inputs.
	Layers []string
}

func (e *MismatchError) Error() string {
	what := "the config or manifest differs (all layers match)"
	if len(e.Layers) > 0 {
		what = strings.Join(e.Layers, "; ")
	}
	return fmt.Sprintf("%s built to %s, lock says %s: %s (run with Relock to accept)", e.Repository, e.Built, e.Locked, what)
}

// compare checks both built images against the lock.
func compare(l *Lock, rt, bd *built) error {
	var errs []error
	for _, c := range []struct {
		locked Image
		b      *built
	}{{l.Images.Runtime, rt}, {l.Images.Builder, bd}} {
		if err := compareImage(c.locked, c.b); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func compareImage(locked Image, b *built) error {
	got, err := lockedImage(locked.Repository, b)
	if err != nil {
		return err
	}
	if got.Digest == locked.Digest {
		return nil
	}
	e := &MismatchError{Repository: locked.Repository, Built: got.Digest, Locked: locked.Digest}
	want := map[string]LockedLayer{}
	for _, ll := range locked.Layers {
		want[ll.Name] = ll
	}
	for i, gl := range got.Layers {
		wl, ok := want[gl.Name]
		if ok && wl.Digest == gl.Digest {
			continue
		}
		lockedDigest := "none"
		if ok {
			lockedDigest = wl.Digest
		}
		e.Layers = append(e.Layers, fmt.Sprintf("layer %q built %s, locked %s (inputs: %s)", gl.Name, gl.Digest, lockedDigest, b.Layers[i].Inputs))
	}
	return e
}

// push writes an image by digest and tags it.
func push(ctx context.Context, registry string, l *Lock, im Image, img v1.Image) error {
	d, err := name.NewDigest(refIn(registry, im))
	if err != nil {
		return err
	}
	if err := remote.Write(d, img, remote.WithContext(ctx)); err != nil {
		return err
	}
	for _, tag := range []string{l.Node.Version, l.Node.Version + "-" + l.InputsHash()} {
		t, err := name.NewTag(strings.TrimSuffix(registry, "/") + "/" + im.Repository + ":" + tag)
		if err != nil {
			return err
		}
		if err := remote.Tag(t, img, remote.WithContext(ctx)); err != nil {
			return err
		}
	}
	return nil
}

// writeLayout appends both images to an OCI image layout, annotated with
// their "repository:version" name.
func writeLayout(dir string, l *Lock, rt, bd *built) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		if _, serr := os.Stat(dir); serr == nil {
			return fmt.Errorf("layout %s: %w", dir, err)
		}
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return fmt.Errorf("layout %s: %w", dir, err)
		}
	}
	for _, x := range []struct {
		repo string
		img  v1.Image
	}{{RuntimeRepository, rt.Image}, {BuilderRepository, bd.Image}} {
		ann := map[string]string{"org.opencontainers.image.ref.name": x.repo + ":" + l.Node.Version}
		if err := p.ReplaceImage(x.img, matchRef(ann["org.opencontainers.image.ref.name"]), layout.WithAnnotations(ann)); err != nil {
			return fmt.Errorf("layout %s: %w", dir, err)
		}
	}
	return nil
}

func matchRef(ref string) func(v1.Descriptor) bool {
	return func(d v1.Descriptor) bool { return d.Annotations["org.opencontainers.image.ref.name"] == ref }
}
