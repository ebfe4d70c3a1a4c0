package bases

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Downloads go through the machine's ordinary clients — apt-get for .debs,
// npm for npm packages — so they use whatever mirrors and registry the host
// is configured for, and are verified against the lock's hashes before use.

// run runs a command, returning its stdout; stderr is included in errors.
func run(ctx context.Context, dir string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return stdout.Bytes(), nil
}

var aptUpdateOnce struct {
	sync.Mutex
	done bool
}

// aptUpdate runs apt-get update once per process.
func aptUpdate(ctx context.Context, log io.Writer) error {
	aptUpdateOnce.Lock()
	defer aptUpdateOnce.Unlock()
	if aptUpdateOnce.done {
		return nil
	}
	fmt.Fprintln(log, "    apt-get update")
	if _, err := run(ctx, "", "apt-get", "update"); err != nil {
		return err
	}
	aptUpdateOnce.done = true
	return nil
}

// resolveDeb asks apt for the candidate version of a package and its .deb's
// sha256 (used when relocking).
func resolveDeb(ctx context.Context, name, arch string) (Deb, error) {
	out, err := run(ctx, "", "apt-cache", "show", "--no-all-versions", name)
	if err != nil {
		return Deb{}, fmt.Errorf("resolve deb %s: %w", name, err)
	}
	d := Deb{Name: name}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" && d.Version != "" {
			break // first stanza only
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch k {
		case "Version":
			d.Version = v
		case "SHA256":
			d.SHA256 = v
		case "Architecture":
			if v != arch && v != "all" {
				return Deb{}, fmt.Errorf("resolve deb %s: architecture %s", name, v)
			}
		}
	}
	if d.Version == "" || d.SHA256 == "" {
		return Deb{}, fmt.Errorf("resolve deb %s: no version/SHA256 in apt-cache show", name)
	}
	return d, nil
}

// debFileName is the cache file name of a pinned .deb.
func debFileName(d Deb) string {
	return strings.ReplaceAll(d.Name+"_"+d.Version, ":", "%3a") + ".deb"
}

// fetchDeb returns a pinned .deb's bytes, sha256-checked, from the first
// place that has it: the project's mirror (Options.MirrorDir, committed
// beside the lock, so a fresh machine never depends on Debian still
// serving a version), the download cache, or `apt-get download
// name=version` (Options.download in tests).
func fetchDeb(ctx context.Context, o Options, d Deb) ([]byte, error) {
	for _, path := range []string{filepath.Join(o.MirrorDir, debFileName(d)), filepath.Join(o.CacheDir, "debs", debFileName(d))} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if sha256Hex(b) == d.SHA256 {
			return b, nil
		}
		fmt.Fprintf(o.Log, "    %s has the wrong sha256 (lock: %s); ignoring it\n", path, d.SHA256)
	}
	dir := filepath.Join(o.CacheDir, "debs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("deb cache: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "download-")
	if err != nil {
		return nil, fmt.Errorf("deb cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	download := o.download
	if download == nil {
		download = aptDownload
	}
	if err := download(ctx, tmp, d, o.Log); err != nil {
		return nil, fmt.Errorf("deb %s=%s is neither in %s nor on the Debian mirror (%w): restore %s from git, or move to current packages with `go run ./ci bases update`", d.Name, d.Version, o.MirrorDir, err, o.MirrorDir)
	}
	files, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(files) != 1 {
		return nil, fmt.Errorf("download deb %s: expected one .deb, got %d", d.Name, len(files))
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		return nil, fmt.Errorf("download deb %s: %w", d.Name, err)
	}
	if got := sha256Hex(b); got != d.SHA256 {
		return nil, fmt.Errorf("deb %s=%s: sha256 %s, lock says %s", d.Name, d.Version, got, d.SHA256)
	}
	if err := os.Rename(files[0], filepath.Join(dir, debFileName(d))); err != nil {
		return nil, fmt.Errorf("deb cache: %w", err)
	}
	return b, nil
}

// aptDownload runs `apt-get download name=version` in dir, updating the
// package lists once when the first try fails.
func aptDownload(ctx context.Context, dir string, d Deb, log io.Writer) error {
	fmt.Fprintf(log, "    apt-get download %s=%s\n", d.Name, d.Version)
	if _, err := run(ctx, dir, "apt-get", "download", d.Name+"="+d.Version); err == nil {
		return nil
	}
	if err := aptUpdate(ctx, log); err != nil {
		return err
	}
	_, err := run(ctx, dir, "apt-get", "download", d.Name+"="+d.Version)
	return err
}

// writeMirror makes dir hold exactly the lock's runtime .debs: each is
// copied from wherever fetchDeb found it, and .debs the lock no longer
// names are removed. Relocking calls it, so the commit that changes the
// lock carries the packages it pins.
func writeMirror(ctx context.Context, o Options, l *Lock) error {
	if err := os.MkdirAll(o.MirrorDir, 0o755); err != nil {
		return fmt.Errorf("mirror: %w", err)
	}
	keep := map[string]bool{}
	for _, d := range l.Debian.RuntimeDebs {
		b, err := fetchDeb(ctx, o, d)
		if err != nil {
			return err
		}
		keep[debFileName(d)] = true
		if err := os.WriteFile(filepath.Join(o.MirrorDir, debFileName(d)), b, 0o644); err != nil {
			return fmt.Errorf("mirror: %w", err)
		}
	}
	old, _ := filepath.Glob(filepath.Join(o.MirrorDir, "*.deb"))
	for _, f := range old {
		if !keep[filepath.Base(f)] {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("mirror: %w", err)
			}
		}
	}
	return nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// resolveNPM asks the npm registry (through npm) for a version's integrity.
func resolveNPM(ctx context.Context, name, version string) (NPMPackage, error) {
	out, err := run(ctx, "", "npm", "view", name+"@"+version, "dist", "version", "--json")
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
	if _, err := run(ctx, tmp, "npm", "pack", p.Spec(), "--ignore-scripts", "--silent", "--pack-destination", tmp); err != nil {
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
