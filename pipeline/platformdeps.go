package pipeline

// Dependencies of a multi-platform build: which packages tie the
// production install to the build host, and how the install is made again
// for another platform.

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"dagger.io/dagger"
	"github.com/Masterminds/semver/v3"

	"dagger/immutable/lockfile"
	"dagger/immutable/nodeapp"
)

// gypFile is node-gyp's build file: an app source that has one compiles
// an addon for the build host in its build script. (A dependency's is not
// enough: sharp ships one it uses only without a prebuilt binding; what
// counts there is the *.node files the install left.)
const gypFile = "binding.gyp"

//go:embed platformscan.js
var platformScanScript string

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
