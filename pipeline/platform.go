package pipeline

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"dagger.io/dagger"
	"github.com/Masterminds/semver/v3"

	"dagger/immutable/baselock"
	"dagger/immutable/lockfile"
	"dagger/immutable/nodeapp"
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

// gypFile is node-gyp's build file: an app source that has one compiles
// an addon for the build host in its build script. (A dependency's is not
// enough: sharp ships one it uses only without a prebuilt binding; what
// counts there is the *.node files the install left.)
const gypFile = "binding.gyp"

//go:embed platformscan.js
var platformScanScript string

// PlatformBuild is one platform's runtime image of a build.
type PlatformBuild struct {
	// Platform is e.g. "linux/arm64".
	Platform string
	// RuntimeBase is the platform's runtime base reference.
	RuntimeBase string
	// Runtime is the platform's runtime image as Dagger built it: the base
	// plus the dependency and app layers. No command runs in it, so an
	// image for another architecture needs no emulation.
	Runtime *dagger.Container
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

// platformScan is what platformscan.js found in a production install.
type platformScan struct {
	// Addons are the compiled addons (*.node files).
	Addons []addonFile `json:"addons"`
	// Specific are the packages that declare os, cpu or libc.
	Specific []string `json:"specific"`
}

// addonFile is one *.node file of a production install.
type addonFile struct {
	// Pkg is the package it is in, name@version.
	Pkg string `json:"pkg"`
	// Path is its path inside the package, e.g. build/Release/x.node.
	Path string `json:"path"`
	// Declares is true when that package declares its platform.
	Declares bool `json:"declares"`
}

// nativeFor returns the packages whose addons cannot run on every one of
// platforms, each with why. An addon in a package that declares its
// platform is that platform's prebuilt binding (installed per platform). An
// addon under prebuilds/<os>-<arch>/ (prebuildify, loaded by
// node-gyp-build at run time) serves its platform when the package has
// one for each platform. Any other addon was compiled or downloaded for
// the build host.
func (s *platformScan) nativeFor(platforms []string) []string {
	type pkg struct {
		host      []string
		prebuilds map[string]bool
	}
	pkgs := map[string]*pkg{}
	var order []string
	for _, a := range s.Addons {
		if a.Declares {
			continue
		}
		p := pkgs[a.Pkg]
		if p == nil {
			p = &pkg{prebuilds: map[string]bool{}}
			pkgs[a.Pkg] = p
			order = append(order, a.Pkg)
		}
		dir, rest, ok := strings.Cut(a.Path, "prebuilds/")
		if ok && (dir == "" || strings.HasSuffix(dir, "/")) && strings.Contains(rest, "/") {
			p.prebuilds[strings.SplitN(rest, "/", 2)[0]] = true
			continue
		}
		p.host = append(p.host, a.Path)
	}
	var out []string
	for _, name := range order {
		p := pkgs[name]
		if len(p.host) > 0 {
			out = append(out, fmt.Sprintf("%s (%s)", name, strings.Join(p.host, ", ")))
			continue
		}
		var missing []string
		for _, pl := range platforms {
			if want := strings.ReplaceAll(pl, "linux/amd64", "linux/x64"); !p.prebuilds[strings.ReplaceAll(want, "/", "-")] {
				missing = append(missing, pl)
			}
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("%s (no prebuilds/ for %s)", name, strings.Join(missing, ", ")))
		}
	}
	return out
}

// scanPlatformDeps runs platformscan.js on the production install.
func scanPlatformDeps(ctx context.Context, install *dagger.Container) (*platformScan, error) {
	out, err := install.
		WithNewFile("/tmp/immutable-platformscan.js", platformScanScript).
		WithExec([]string{"node", "/tmp/immutable-platformscan.js", "/src/node_modules"}).
		Stdout(ctx)
	if err != nil {
		return nil, fmt.Errorf("build: looking for platform-specific dependencies: %s", failureDetail(err))
	}
	var s platformScan
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		return nil, fmt.Errorf("build: looking for platform-specific dependencies: %w", err)
	}
	return &s, nil
}

// platformDeps returns the production node_modules of each platform after
// the native one. A tree with no platform-specific package is the same on
// every platform: the native install serves all of them (the same layer).
// One with prebuilt per-platform packages is installed again for each
// platform with npm's --cpu/--os/--libc, install scripts off (they would
// run for the build host). Compiled addons cannot be built for another
// architecture here: they are refused, naming the packages (nativeFor).
//
// ownAddon names the app when its own source has a binding.gyp (an addon
// its build compiles): refused the same way.
func platformDeps(ctx context.Context, o BuildOptions, pm nodeapp.PackageManager, ownAddon string, builder, install *dagger.Container, native *dagger.Directory, platforms []string) (map[string]*dagger.Directory, error) {
	out := map[string]*dagger.Directory{}
	if len(platforms) < 2 {
		return out, nil
	}
	s, err := scanPlatformDeps(ctx, install)
	if err != nil {
		return nil, err
	}
	hostOnly := s.nativeFor(platforms)
	if ownAddon != "" {
		hostOnly = append([]string{ownAddon + " (its own " + gypFile + ")"}, hostOnly...)
	}
	if len(hostOnly) > 0 {
		return nil, fmt.Errorf("build: %w: %s: compiled addons are built for the build host (%s) and cannot be built for %s here: release %s alone (drop --platforms)",
			ErrNativeCrossBuild, strings.Join(hostOnly, ", "), NativePlatform, strings.Join(platforms[1:], ", "), NativePlatform)
	}
	for _, p := range platforms[1:] {
		if len(s.Specific) == 0 {
			out[p] = native
			continue
		}
		args, err := platformInstall(pm, p)
		if err != nil {
			return nil, fmt.Errorf("build: %w: platform-specific packages (%s): %w", ErrNativeCrossBuild, strings.Join(s.Specific, ", "), err)
		}
		ctr := npmExec(builder, o, args)
		out[p] = withoutBuildResidue(ctr, "/src/node_modules").Directory("/src/node_modules")
	}
	return out, nil
}

// pnpmPlatformFlags is the first pnpm with --cpu, --os and --libc.
var pnpmPlatformFlags = semver.MustParse("10.14.0")

// platformInstall is the production install of pm for another platform:
// the frozen install of installSpecs with the platform's os, cpu and libc
// and no install scripts. npm (10.2 and later, the builder's) and pnpm
// 10.14 and later can; yarn cannot choose another platform on the
// command line.
func platformInstall(pm nodeapp.PackageManager, platform string) ([]string, error) {
	cpu := npmCPU[strings.TrimPrefix(platform, "linux/")]
	flags := " --ignore-scripts --os=linux --cpu=" + cpu + " --libc=glibc"
	prod := installSpecs[pm.Kind].prod
	switch pm.Kind {
	case lockfile.NPM:
		return []string{"sh", "-c", "npm ci --omit=dev --no-audit --no-fund" + flags + " && mkdir -p node_modules"}, nil
	case lockfile.PNPM:
		if v, err := semver.NewVersion(pm.Version); err != nil || v.LessThan(pnpmPlatformFlags) {
			return nil, fmt.Errorf("pnpm %s cannot install them for %s (pnpm %s and later can): set packageManager to pnpm@10 in package.json, or release %s alone", pm.Version, platform, pnpmPlatformFlags, NativePlatform)
		}
		return []string{prod[0], prod[1], strings.Replace(prod[2], " --prod ", " --prod"+flags+" ", 1)}, nil
	default:
		return nil, fmt.Errorf("%s installs them for the build host only; use npm or pnpm 10.14+, or release %s alone", pm.Kind, NativePlatform)
	}
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
