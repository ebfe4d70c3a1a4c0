package bases

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Runtime platforms other than linux/amd64 (the lock's runtimePlatforms):
// each is the runtime recipe (runtime.go) applied to that architecture's
// .debs, kept in baselock/debs/<arch>/, and its node-linux-<arch> package,
// built without running anything of the target architecture. They are
// pushed by digest to RuntimeRepository and tagged "<node>-<arch>" and
// "<node>-<inputs hash>-<arch>".

// platformArchs maps an OCI platform to its Debian architecture and the
// suffix of its official node-linux-* npm package.
var platformArchs = map[string]struct{ debian, node string }{
	"linux/amd64": {"amd64", "x64"},
	"linux/arm64": {"arm64", "arm64"},
}

// newRuntimePlatform is an unresolved runtime platform: its architecture
// and node package name.
func newRuntimePlatform(platform string) (RuntimePlatform, error) {
	a, ok := platformArchs[platform]
	if !ok || platform == DefaultPlatform {
		var known []string
		for p := range platformArchs {
			if p != DefaultPlatform {
				known = append(known, p)
			}
		}
		return RuntimePlatform{}, fmt.Errorf("runtime platform %q is not supported (supported besides %s: %s)", platform, DefaultPlatform, strings.Join(known, ", "))
	}
	return RuntimePlatform{Platform: platform, DebianArch: a.debian,
		Node:  NPMPackage{Name: "node-linux-" + a.node},
		Image: Image{Repository: RuntimeRepository}}, nil
}

// buildPlatform builds one runtime platform's image from the lock: node
// from the npm registry by integrity (cached), the .debs from the project's
// mirror (baselock/debs/<arch>), the cache or an isolated apt.
func buildPlatform(ctx context.Context, o Options, l *Lock, p RuntimePlatform) (*built, error) {
	tgz, err := fetchNPM(ctx, o.CacheDir, p.Node, o.Log)
	if err != nil {
		return nil, err
	}
	_, node, err := nodeLayer(p.Node, l.Epoch(), tgz, layerDir(o))
	if err != nil {
		return nil, err
	}
	if node.Layer == nil {
		return nil, fmt.Errorf("%s: no node layer", p.Platform)
	}
	b, err := buildRuntimeFor(ctx, o, l, runtimeSpec{Arch: p.DebianArch, Debs: p.RuntimeDebs, Node: node})
	if err != nil {
		return nil, fmt.Errorf("runtime %s: %w", p.Platform, err)
	}
	return b, nil
}

// buildPlatforms builds every runtime platform of the lock, in its order.
func buildPlatforms(ctx context.Context, o Options, l *Lock) ([]*built, error) {
	var out []*built
	for _, p := range l.RuntimePlatforms {
		fmt.Fprintf(o.Log, "    runtime %s: node-linux + unpacking %s debs\n", p.Platform, p.DebianArch)
		b, err := buildPlatform(ctx, o, l, p)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// lockPlatforms records what the runtime platforms built to (relocking).
func lockPlatforms(l *Lock, plats []*built) error {
	for i := range l.RuntimePlatforms {
		im, err := lockedImage(RuntimeRepository, plats[i])
		if err != nil {
			return err
		}
		l.RuntimePlatforms[i].Image = im
	}
	return nil
}

// comparePlatforms checks that each runtime platform built to its locked
// digest (a MismatchError naming the platform otherwise).
func comparePlatforms(l *Lock, plats []*built) error {
	for i, p := range l.RuntimePlatforms {
		if err := compareImage(p.Image, plats[i]); err != nil {
			if me, ok := err.(*MismatchError); ok {
				me.Platform = p.Platform
			}
			return err
		}
	}
	return nil
}

// resolvePlatforms gives n fresh runtime platforms: those of old (the
// defaults when it has none), each with node-linux-<arch> at n.Node.Version
// and the .debs of n's runtime package names for its architecture, from an
// isolated apt (the host's dpkg architectures stay as they are). A package
// keeps n's (amd64) version when Debian still has it for the architecture;
// otherwise the current one is locked, and said.
func resolvePlatforms(ctx context.Context, o Options, old, n *Lock) error {
	platforms := DefaultRuntimePlatforms
	if len(old.RuntimePlatforms) > 0 {
		platforms = nil
		for _, p := range old.RuntimePlatforms {
			platforms = append(platforms, p.Platform)
		}
	}
	var out []RuntimePlatform
	for _, pl := range platforms {
		p, err := newRuntimePlatform(pl)
		if err != nil {
			return err
		}
		if p.Node, err = resolveNPM(ctx, p.Node.Name, n.Node.Version); err != nil {
			return err
		}
		if err := foreignApt(o, p.DebianArch).Update(ctx, o.Log); err != nil {
			return fmt.Errorf("%s: %w", pl, err)
		}
		for _, d := range n.Debian.RuntimeDebs {
			rd, err := resolveDebVersion(ctx, o, n, d.Name, d.Version, p.DebianArch)
			if err != nil {
				return err
			}
			if rd.Version != d.Version {
				fmt.Fprintf(o.Log, "    %s: %s %s is not on Debian's mirror for %s; locking the current %s\n", pl, d.Name, d.Version, p.DebianArch, rd.Version)
			}
			p.RuntimeDebs = append(p.RuntimeDebs, rd)
		}
		sortDebs(p.RuntimeDebs)
		out = append(out, p)
	}
	sortPlatforms(out)
	n.RuntimePlatforms = out
	return nil
}

// resolveDebVersion resolves name for arch at version when the mirror has
// it, else its current candidate.
func resolveDebVersion(ctx context.Context, o Options, l *Lock, name, version, arch string) (Deb, error) {
	if version != "" {
		if d, err := resolveDeb(ctx, o, l, name+"="+version, arch); err == nil {
			return d, nil
		}
	}
	return resolveDeb(ctx, o, l, name, arch)
}

// relockPlatforms is Ensure with Relock and PlatformsOnly: the runtime
// platforms are resolved again (at the lock's node version and runtime
// package names), built, pushed, and written to the lock and
// MirrorDir/<arch>; every other input and digest stays as it is.
func relockPlatforms(ctx context.Context, o Options, l *Lock) (*Lock, error) {
	fmt.Fprintln(o.Log, "==> bases: resolving the runtime platforms' inputs (relock, other platforms only)")
	want := *l
	if err := resolvePlatforms(ctx, o, l, &want); err != nil {
		return nil, fmt.Errorf("bases: relock: %w", err)
	}
	plats, err := buildPlatforms(ctx, o, &want)
	if err != nil {
		return nil, fmt.Errorf("bases: build: %w", err)
	}
	if err := lockPlatforms(&want, plats); err != nil {
		return nil, fmt.Errorf("bases: %w", err)
	}
	if err := publishPlatforms(ctx, o, &want, plats); err != nil {
		return nil, err
	}
	if err := writePlatformMirrors(ctx, o, &want); err != nil {
		return nil, fmt.Errorf("bases: relock: %w", err)
	}
	if err := want.Save(o.LockPath); err != nil {
		return nil, fmt.Errorf("bases: %w", err)
	}
	for _, p := range want.RuntimePlatforms {
		fmt.Fprintf(o.Log, "    runtime %s: %s\n", p.Platform, p.Image.Digest)
	}
	fmt.Fprintf(o.Log, "==> bases: wrote %s and %s/<arch>\n", o.LockPath, o.MirrorDir)
	return &want, nil
}

// publishPlatforms writes built runtime platforms to the layout and the
// registry Options name.
func publishPlatforms(ctx context.Context, o Options, l *Lock, plats []*built) error {
	var imgs []v1.Image
	for _, b := range plats {
		imgs = append(imgs, b.Image)
	}
	if o.LayoutDir != "" {
		if err := writePlatformLayout(o.LayoutDir, l, imgs); err != nil {
			return fmt.Errorf("bases: %w", err)
		}
	}
	if o.Registry != "-" && len(imgs) > 0 {
		if err := PushPlatforms(ctx, o.Registry, l, imgs); err != nil {
			return fmt.Errorf("bases: %w", err)
		}
	}
	return nil
}

// ensurePlatforms builds, checks and pushes the runtime platforms the
// registry does not hold by their locked digest (Ensure's reuse path).
func ensurePlatforms(ctx context.Context, o Options, l *Lock) error {
	for _, p := range l.RuntimePlatforms {
		if platformInRegistry(ctx, o.Registry, p) {
			continue
		}
		fmt.Fprintf(o.Log, "==> bases: building the %s runtime\n", p.Platform)
		b, err := buildPlatform(ctx, o, l, p)
		if err != nil {
			return fmt.Errorf("build: %w", err)
		}
		one := *l
		one.RuntimePlatforms = []RuntimePlatform{p}
		if err := comparePlatforms(&one, []*built{b}); err != nil {
			return err
		}
		if err := publishPlatforms(ctx, o, &one, []*built{b}); err != nil {
			return err
		}
		fmt.Fprintf(o.Log, "    built and pushed %s\n", refIn(o.Registry, p.Image))
	}
	return nil
}

// platformInRegistry reports whether registry has p's locked digest.
func platformInRegistry(ctx context.Context, registry string, p RuntimePlatform) bool {
	if p.Image.Digest == "" {
		return false
	}
	ref, err := name.NewDigest(refIn(registry, p.Image))
	if err != nil {
		return false
	}
	_, err = remote.Head(ref, remote.WithContext(ctx))
	return err == nil
}

// platformsInRegistry reports whether registry has every runtime platform.
func platformsInRegistry(ctx context.Context, registry string, l *Lock) bool {
	for _, p := range l.RuntimePlatforms {
		if !platformInRegistry(ctx, registry, p) {
			return false
		}
	}
	return true
}

// platformTags are the tags of a runtime platform's image: "<node>-<arch>"
// and "<node>-<inputs hash>-<arch>".
func platformTags(l *Lock, p RuntimePlatform) []string {
	return []string{l.Node.Version + "-" + p.DebianArch, l.Node.Version + "-" + l.InputsHash() + "-" + p.DebianArch}
}

// PushPlatforms writes the runtime platforms' images (in the lock's order,
// as PullPlatforms returns them) to registry's RuntimeRepository by digest
// and tags them "<node>-<arch>" and "<node>-<inputs hash>-<arch>". Each must
// be its locked digest (a relock sets the lock from the images first).
func PushPlatforms(ctx context.Context, registry string, l *Lock, imgs []v1.Image) error {
	if len(imgs) != len(l.RuntimePlatforms) {
		return fmt.Errorf("push: %d runtime platform images for %d locked platforms", len(imgs), len(l.RuntimePlatforms))
	}
	repo := strings.TrimSuffix(registry, "/") + "/" + RuntimeRepository
	for i, p := range l.RuntimePlatforms {
		d, err := imgs[i].Digest()
		if err != nil {
			return fmt.Errorf("push %s runtime: %w", p.Platform, err)
		}
		if d.String() != p.Image.Digest {
			return fmt.Errorf("push %s runtime: image is %s, the lock says %s", p.Platform, d, p.Image.Digest)
		}
		ref, err := name.NewDigest(repo + "@" + d.String())
		if err != nil {
			return fmt.Errorf("push %s runtime: %w", p.Platform, err)
		}
		if err := remote.Write(ref, imgs[i], remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
			return fmt.Errorf("push %s: %w", ref, err)
		}
		for _, tag := range platformTags(l, p) {
			t, err := name.NewTag(repo + ":" + tag)
			if err != nil {
				return err
			}
			if err := remote.Tag(t, imgs[i], remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
				return fmt.Errorf("tag %s: %w", t, err)
			}
		}
	}
	return nil
}

// PullPlatforms returns the runtime platforms' images from registry by
// their locked digests, in the lock's order.
func PullPlatforms(ctx context.Context, registry string, l *Lock) ([]v1.Image, error) {
	var out []v1.Image
	for _, p := range l.RuntimePlatforms {
		ref, err := name.NewDigest(refIn(registry, p.Image))
		if err != nil {
			return nil, err
		}
		img, err := remote.Image(ref, remote.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("bases: the %s runtime: %w (run `go run ./ci up`)", p.Platform, err)
		}
		out = append(out, img)
	}
	return out, nil
}

// platformLayoutName names a runtime platform's image in an OCI layout:
// "immutable/node-runtime:<node>-<inputs hash>-<arch>".
func platformLayoutName(l *Lock, p RuntimePlatform) string {
	return RuntimeRepository + ":" + platformTags(l, p)[1]
}

// writePlatformLayout adds the runtime platforms' images to the OCI image
// layout at dir (created when missing), named by platformLayoutName.
func writePlatformLayout(dir string, l *Lock, imgs []v1.Image) error {
	if len(imgs) == 0 {
		return nil
	}
	p, err := openLayout(dir)
	if err != nil {
		return err
	}
	for i, pl := range l.RuntimePlatforms {
		ref := platformLayoutName(l, pl)
		ann := map[string]string{refNameAnnotation: ref}
		if err := p.ReplaceImage(imgs[i], matchRef(ref), layout.WithAnnotations(ann)); err != nil {
			return fmt.Errorf("layout %s: %w", dir, err)
		}
	}
	return nil
}

// loadPlatforms pushes the runtime platforms of a layout's index (written
// by Save) to registry, each checked against its locked digest.
func loadPlatforms(ctx context.Context, file string, idx v1.ImageIndex, m *v1.IndexManifest, registry string, l *Lock) error {
	var imgs []v1.Image
	for _, p := range l.RuntimePlatforms {
		want := platformLayoutName(l, p)
		var img v1.Image
		for _, d := range m.Manifests {
			if d.Annotations[refNameAnnotation] != want {
				continue
			}
			var err error
			if img, err = idx.Image(d.Digest); err != nil {
				return fmt.Errorf("bases: %s: %w", file, err)
			}
		}
		if img == nil {
			return fmt.Errorf("bases: %s has no %s runtime (%s): save it again with `go run ./ci bases save` from a machine with this lock", file, p.Platform, want)
		}
		d, err := img.Digest()
		if err != nil {
			return err
		}
		if d.String() != p.Image.Digest {
			return fmt.Errorf("bases: %s: the %s runtime is %s, the lock says %s", file, p.Platform, d, p.Image.Digest)
		}
		imgs = append(imgs, img)
	}
	if len(imgs) == 0 {
		return nil
	}
	if err := PushPlatforms(ctx, registry, l, imgs); err != nil {
		return fmt.Errorf("bases: %w", err)
	}
	return nil
}
