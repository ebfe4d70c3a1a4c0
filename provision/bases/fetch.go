package bases

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"dagger/immutable/internal/command"
	"dagger/immutable/provision/debs"
)

// Downloads go through the machine's ordinary clients — apt-get for .debs,
// npm for npm packages — so they use whatever mirrors and registry the host
// is configured for, and are verified against the lock's hashes before use.

// resolveDeb asks apt for the candidate version of a package and its .deb's
// sha256 (used when relocking): the host's apt for the lock's own
// architecture, an isolated apt (debs.Apt) for another. spec is a package
// name, or "name=version" for that version.
func resolveDeb(ctx context.Context, o Options, l *Lock, spec, arch string) (Deb, error) {
	show := debs.Show
	if arch != l.Debian.Arch {
		show = foreignApt(o, arch).Show
	}
	stanzas, err := show(ctx, spec)
	if err != nil {
		return Deb{}, fmt.Errorf("resolve deb %s (%s): %w", spec, arch, err)
	}
	name, _, _ := strings.Cut(spec, "=")
	f := stanzas[name]
	if a := f["Architecture"]; a != arch && a != "all" {
		return Deb{}, fmt.Errorf("resolve deb %s: architecture %q, want %s", name, a, arch)
	}
	if f["Version"] == "" || f["SHA256"] == "" {
		return Deb{}, fmt.Errorf("resolve deb %s (%s): no version/SHA256 in apt-cache show", spec, arch)
	}
	return Deb{Name: name, Version: f["Version"], SHA256: f["SHA256"]}, nil
}

// foreignApt is the isolated apt for a Debian architecture other than the
// lock's (the host's): its lists and downloads stay in the cache directory
// and the host's dpkg architectures are left alone.
func foreignApt(o Options, arch string) debs.Apt {
	return debs.Apt{Arch: arch, Dir: filepath.Join(o.CacheDir, "apt-"+arch)}
}

// mirrorDirFor is where the project keeps a Debian architecture's runtime
// .debs: MirrorDir for the lock's own (amd64), MirrorDir/<arch> for
// another, whose file names would otherwise collide.
func mirrorDirFor(o Options, l *Lock, arch string) string {
	if arch == l.Debian.Arch {
		return o.MirrorDir
	}
	return filepath.Join(o.MirrorDir, arch)
}

// fetchDebFor returns a pinned .deb's bytes, sha256-checked, from the first
// place that has it: the project's mirror (Options.MirrorDir, committed
// beside the lock, so a fresh machine never depends on Debian still
// serving a version; MirrorDir/<arch> for another architecture than the
// lock's), the download cache, or `apt-get download name=version`
// (Options.download in tests; an isolated apt for another architecture).
func fetchDebFor(ctx context.Context, o Options, l *Lock, arch string, d Deb) ([]byte, error) {
	f := debs.Fetcher{Mirrors: []string{o.MirrorDir}, CacheDir: filepath.Join(o.CacheDir, "debs"), Download: o.download, Log: o.Log}
	where := mirrorDirFor(o, l, arch)
	if where != o.MirrorDir {
		f.Mirrors = []string{where}
		f.CacheDir = filepath.Join(o.CacheDir, "debs", arch)
		if f.Download == nil {
			f.Download = foreignApt(o, arch).Download
		}
	}
	p, err := f.Fetch(ctx, debs.Deb(d))
	if err != nil {
		return nil, fmt.Errorf("%w: it is not in %s either: restore %s from git, or move to current packages with `go run ./ci bases update`", err, where, where)
	}
	return os.ReadFile(p)
}

// writeMirror makes MirrorDir hold exactly the lock's runtime .debs, and
// MirrorDir/<arch> those of each other runtime platform: each is copied
// from wherever fetchDebFor found it, and .debs the lock no longer names
// are removed. Relocking calls it, so the commit that changes the lock
// carries the packages it pins.
func writeMirror(ctx context.Context, o Options, l *Lock) error {
	if err := writeMirrorDir(ctx, o, l, l.Debian.Arch, l.Debian.RuntimeDebs); err != nil {
		return err
	}
	return writePlatformMirrors(ctx, o, l)
}

// writePlatformMirrors writes MirrorDir/<arch> for each runtime platform.
func writePlatformMirrors(ctx context.Context, o Options, l *Lock) error {
	for _, p := range l.RuntimePlatforms {
		if err := writeMirrorDir(ctx, o, l, p.DebianArch, p.RuntimeDebs); err != nil {
			return err
		}
	}
	return nil
}

// writeMirrorDir makes arch's mirror directory (mirrorDirFor) hold exactly
// list's .debs.
func writeMirrorDir(ctx context.Context, o Options, l *Lock, arch string, list []Deb) error {
	dir := mirrorDirFor(o, l, arch)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mirror: %w", err)
	}
	keep := map[string]bool{}
	for _, d := range list {
		b, err := fetchDebFor(ctx, o, l, arch, d)
		if err != nil {
			return err
		}
		keep[debs.Deb(d).FileName()] = true
		if err := os.WriteFile(filepath.Join(dir, debs.Deb(d).FileName()), b, 0o644); err != nil {
			return fmt.Errorf("mirror: %w", err)
		}
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
	for _, f := range old {
		if !keep[filepath.Base(f)] {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("mirror: %w", err)
			}
		}
	}
	return nil
}

// resolveNPM asks the npm registry (through npm) for a version's integrity.
func resolveNPM(ctx context.Context, name, version string) (NPMPackage, error) {
	out, err := command.Output(ctx, "", "npm", "view", name+"@"+version, "dist", "version", "--json")
	if err != nil {
		return NPMPackage{}, fmt.Errorf("resolve npm %s@%s: %w", name, version, err)
	}
	var v struct {
		Version string `json:"version"`
		Dist    struct {
			Integrity string `json:"integrity"`
		} `json:"dist"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return NPMPackage{}, fmt.Errorf("resolve npm %s@%s: %w (a range matching several versions?)", name, version, err)
	}
	if v.Version == "" || !strings.HasPrefix(v.Dist.Integrity, "sha512-") {
		return NPMPackage{}, fmt.Errorf("resolve npm %s@%s: no version or sha512 integrity", name, version)
	}
	return NPMPackage{Name: name, Version: v.Version, Integrity: v.Dist.Integrity}, nil
}

// checkIntegrity verifies b against an npm "sha512-<base64>" integrity.
func checkIntegrity(b []byte, integrity string) error {
	want, ok := strings.CutPrefix(integrity, "sha512-")
	if !ok {
		return fmt.Errorf("integrity %q is not sha512", integrity)
	}
	sum := sha512.Sum512(b)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("integrity sha512-%s, lock says %s", got, integrity)
	}
	return nil
}

// fetchNPM returns an npm package tarball from the cache, downloading it with
// `npm pack name@version` when missing, and checks its sha512 integrity.
func fetchNPM(ctx context.Context, cacheDir string, p NPMPackage, log io.Writer) ([]byte, error) {
	dir := filepath.Join(cacheDir, "npm")
	path := filepath.Join(dir, strings.ReplaceAll(p.Name, "/", "-")+"-"+p.Version+".tgz")
	if b, err := os.ReadFile(path); err == nil {
		if checkIntegrity(b, p.Integrity) == nil {
			return b, nil
		}
		fmt.Fprintf(log, "    cached %s fails its integrity; downloading again\n", filepath.Base(path))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("npm cache: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "download-")
	if err != nil {
		return nil, fmt.Errorf("npm cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(log, "    npm pack %s\n", p.Spec())
	if _, err := command.Output(ctx, tmp, "npm", "pack", p.Spec(), "--ignore-scripts", "--silent", "--pack-destination", tmp); err != nil {
		return nil, fmt.Errorf("download npm %s: %w", p.Spec(), err)
	}
	files, _ := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if len(files) != 1 {
		return nil, fmt.Errorf("download npm %s: expected one .tgz, got %d", p.Spec(), len(files))
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		return nil, fmt.Errorf("download npm %s: %w", p.Spec(), err)
	}
	if err := checkIntegrity(b, p.Integrity); err != nil {
		return nil, fmt.Errorf("npm %s: %w", p.Spec(), err)
	}
	if err := os.Rename(files[0], path); err != nil {
		return nil, fmt.Errorf("npm cache: %w", err)
	}
	return b, nil
}
