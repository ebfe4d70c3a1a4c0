package pipeline

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"dagger.io/dagger"

	"dagger/immutable/baselock"
	"dagger/immutable/publish"
)

// NativePlatform is the platform the builder runs on, the one the tests and
// the smoke test run on, and the default (only) platform of a release.
const NativePlatform = "linux/amd64"

// SupportedPlatforms are the platforms a release can publish, in the order
// an image index lists them.
var SupportedPlatforms = []string{"linux/amd64", "linux/arm64"}

// npmCPU maps a platform's architecture to npm's cpu name.
var npmCPU = map[string]string{"amd64": "x64", "arm64": "arm64"}

// PlatformBuild is one platform's runtime image of a build.
type PlatformBuild struct {
	// Platform is e.g. "linux/arm64".
	Platform string
	// RuntimeBase is the platform's runtime base reference.
	RuntimeBase string
	// BaseDigest is the digest RuntimeBase is pinned by ("" for a base
	// given by tag with AllowUnpinnedBase).
	BaseDigest string
	// Runtime is the platform's runtime image as Dagger built it: the base
	// plus the dependency and app layers. No command runs in it, so an
	// image for another architecture needs no emulation.
	Runtime *dagger.Container
}

// platformContainer is an empty container of platform: the engine's
// default one for the native platform (so its images keep their digests),
// else one for that platform.
func platformContainer(c *dagger.Client, platform string) *dagger.Container {
	if platform == NativePlatform {
		return c.Container()
	}
	return c.Container(dagger.ContainerOpts{Platform: dagger.Platform(platform)})
}

// parsePlatforms checks a --platforms list: supported platforms, each once,
// the native one included (it is where the tests run). It returns them in
// SupportedPlatforms order; empty means the native platform alone.
func parsePlatforms(ps []string) ([]string, error) {
	if len(ps) == 0 {
		return []string{NativePlatform}, nil
	}
	seen := map[string]bool{}
	for _, p := range ps {
		p = strings.TrimSpace(p)
		if !slices.Contains(SupportedPlatforms, p) {
			return nil, fmt.Errorf("build: --platforms %q: want a comma-separated list of %s", p, strings.Join(SupportedPlatforms, ", "))
		}
		seen[p] = true
	}
	if !seen[NativePlatform] {
		return nil, fmt.Errorf("build: --platforms %s: include %s, the platform the tests and the smoke test run on", strings.Join(ps, ","), NativePlatform)
	}
	var out []string
	for _, p := range SupportedPlatforms {
		if seen[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// platformBase is the runtime base of a platform other than the native one:
// the one --platform-base names, else the project's locked base for it when
// the native base is the project's, else the native base reference itself
// (an image index; Dagger picks the platform's image from it).
func platformBase(o BuildOptions, platform string, defaultRuntime bool) (string, error) {
	if ref := o.PlatformBases[platform]; ref != "" {
		return ref, nil
	}
	if !defaultRuntime {
		return o.RuntimeBase, nil
	}
	ref, err := baselock.Default().RuntimeRefInFor(DefaultBaseRegistry, platform)
	if err != nil {
		return "", fmt.Errorf("build: %w: no %s runtime base: %w (run `go run ./ci bases update`, or pass --platform-base %s=REPO@sha256:…)", ErrInvalidBase, platform, err, platform)
	}
	return ref, nil
}

// platformRecords are the release record's platform images of a
// multi-platform image (nil for one platform), with what the smoke test
// said for each.
func platformRecords(b *Build, img *Image, gates []publish.Gate) []publish.PlatformImage {
	if len(img.Variants) < 2 {
		return nil
	}
	smoke := map[string]string{}
	for _, g := range gates {
		p, ok := strings.CutPrefix(g.Name, "smoke")
		if !ok {
			continue
		}
		p = strings.TrimSpace(p)
		if p == "" {
			p = NativePlatform
		}
		switch {
		case !g.Passed:
			smoke[p] = "failed"
		case g.Skipped || strings.HasPrefix(g.Detail, "skipped") || strings.HasPrefix(g.Detail, "not run"):
			smoke[p] = strings.TrimPrefix(g.Detail, "skipped: ")
		default:
			smoke[p] = "passed"
		}
	}
	var out []publish.PlatformImage
	for i, v := range img.Variants {
		rec := publish.PlatformImage{Platform: v.Platform, Digest: v.Digest, Smoke: smoke[v.Platform]}
		if i < len(b.Platforms) {
			rec.RuntimeBase = b.Platforms[i].RuntimeBase
		}
		out = append(out, rec)
	}
	return out
}

// PlatformFlags reads the --platforms and --platform-base arguments of
// both doors into o: platforms are comma-separated or repeated
// ("linux/amd64,linux/arm64"); bases are PLATFORM=REF, one per platform
// (PLATFORM= with no reference keeps the default, for CI templates).
func PlatformFlags(o *BuildOptions, platforms, bases []string) error {
	o.Platforms = nil
	for _, p := range platforms {
		for _, q := range strings.Split(p, ",") {
			if q = strings.TrimSpace(q); q != "" {
				o.Platforms = append(o.Platforms, q)
			}
		}
	}
	if len(bases) == 0 {
		return nil
	}
	o.PlatformBases = map[string]string{}
	for _, b := range bases {
		p, ref, ok := strings.Cut(b, "=")
		if ok && p != "" && ref == "" {
			continue // PLATFORM= (e.g. an unset CI variable): the default
		}
		if !ok || p == "" {
			return fmt.Errorf("--platform-base %q: want PLATFORM=REPO@sha256:…, e.g. linux/arm64=registry.example.com/node-runtime@sha256:…", b)
		}
		if p == NativePlatform {
			return fmt.Errorf("--platform-base %s: the %s base is --runtime-base", b, NativePlatform)
		}
		if _, dup := o.PlatformBases[p]; dup {
			return fmt.Errorf("--platform-base: %s given twice", p)
		}
		o.PlatformBases[p] = ref
	}
	return nil
}
