package sdkimage

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// imageEnv is the image's environment (also used for the warm-up build).
func imageEnv() []string {
	return []string{
		"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"GOPATH=/go",
		"GOTOOLCHAIN=local",
		"CGO_ENABLED=0",
		"GOPROXY=file://" + GoProxyInImage + "," + PublicGoProxy,
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
	}
}

// stageRootfs assembles the image's file system under CacheDir/rootfs and
// returns its path.
func stageRootfs(ctx context.Context, o Options, codegen string, debs []deb) (string, error) {
	root := filepath.Join(o.CacheDir, "rootfs")
	if err := os.RemoveAll(root); err != nil {
		return "", fmt.Errorf("clean rootfs: %w", err)
	}
	debDir := filepath.Join(o.CacheDir, "debs")
	if err := os.MkdirAll(debDir, 0o755); err != nil {
		return "", err
	}
	o.logf("    base: %d Debian packages", len(debs))
	for _, d := range debs {
		p, err := fetchDeb(ctx, debDir, d)
		if err != nil {
			return "", err
		}
		if err := extractDeb(ctx, p, root); err != nil {
			return "", err
		}
	}
	if err := finishBase(root); err != nil {
		return "", fmt.Errorf("base files: %w", err)
	}
	o.logf("    go: %s", o.GoRoot)
	if err := copyTree(o.GoRoot, filepath.Join(root, "usr/local/go")); err != nil {
		return "", fmt.Errorf("copy go: %w", err)
	}
	if err := copyFile(codegen, filepath.Join(root, "usr/local/bin/codegen"), 0o755); err != nil {
		return "", fmt.Errorf("copy codegen: %w", err)
	}
	o.logf("    goproxy: modules of dagger.io/dagger %s and %s/go.mod", DaggerLibVersion, o.RepoRoot)
	warm, err := fillGoProxy(ctx, o, filepath.Join(root, strings.TrimPrefix(GoProxyInImage, "/")))
	if err != nil {
		return "", fmt.Errorf("goproxy: %w", err)
	}
	o.logf("    warm: build what generated code imports, inside the image (modules from the file proxy only)")
	if err := warmCaches(ctx, root, warm); err != nil {
		return "", fmt.Errorf("warm: %w", err)
	}
	return root, nil
}

// finishBase adds what maintainer scripts and base-files would: merged-/usr
// links, users, /bin/sh, the CA bundle and the empty mount points.
func finishBase(root string) error {
	for _, d := range []string{"usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "etc/ssl/certs",
		"usr/local/bin", "go/bin", "go/pkg/mod", "root/.cache/go-build", "proc", "sys", "dev", "run", "var/tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	for _, l := range [][2]string{{"bin", "usr/bin"}, {"sbin", "usr/sbin"}, {"lib", "usr/lib"}, {"lib64", "usr/lib64"}} {
		if err := os.Symlink(l[1], filepath.Join(root, l[0])); err != nil {
			return err
		}
	}
	if _, err := os.Lstat(filepath.Join(root, "usr/bin/sh")); err != nil {
		if err := os.Symlink("dash", filepath.Join(root, "usr/bin/sh")); err != nil {
			return err
		}
	}
	files := map[string]string{
		"etc/passwd":        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"etc/group":         "root:x:0:\nnogroup:x:65534:\n",
		"etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\n",
		"etc/hostname":      "sdk\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	bundle, err := caBundle(filepath.Join(root, "usr/share/ca-certificates"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"), bundle, 0o644); err != nil {
		return err
	}
	for _, d := range []string{"tmp", "var/tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
		if err := os.Chmod(filepath.Join(root, d), 0o1777|os.ModeSticky); err != nil {
			return err
		}
	}
	return os.Chmod(filepath.Join(root, "root"), 0o700)
}

// caBundle concatenates the certificates ca-certificates ships, sorted by
// path, as update-ca-certificates would.
func caBundle(dir string) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".crt") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ca certificates: %w", err)
	}
	sort.Strings(paths)
	var out []byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
		if len(b) > 0 && b[len(b)-1] != '\n' {
			out = append(out, '\n')
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no certificates in %s", dir)
	}
	return out, nil
}

// warmCaches runs what the SDK runs for a new module (go get dagger.io/dagger,
// go mod tidy, go build) inside the staged image (chroot in a private mount
// namespace, the image's env), so
// /go/pkg/mod and /root/.cache/go-build hold what a new module's first build
// needs. Like a module that codegen just wrote, the warm module's go.sum is
// dagger.io/dagger's own go.sum (no hashes for dagger.io/dagger itself,
// otel-go and its dependencies), so go verifies those against
// sum.golang.org (the host's network, DNS and CA certificates, mounted for
// this step only) and caches the proof in /go/pkg/mod
// and /go/pkg/sumdb: the engine's first call then verifies offline. Every
// module must come from the file proxy (checked afterwards). Module zips are
// dropped from /go/pkg/mod (the file proxy has them).
func warmCaches(ctx context.Context, root, warmMod string) error {
	dst := filepath.Join(root, "tmp/warm")
	if err := copyTree(warmMod, dst); err != nil {
		return err
	}
	for _, name := range []string{"go.mod", "go.sum"} {
		if err := os.Rename(filepath.Join(dst, name+".sdk"), filepath.Join(dst, name)); err != nil {
			return err
		}
	}
	resolv := filepath.Join(root, "etc/resolv.conf")
	if err := os.WriteFile(resolv, nil, 0o644); err != nil {
		return err
	}
	env := append(imageEnv(), "HOME=/root", "GOFLAGS=-mod=mod")
	script := `set -e
mount --rbind /dev "$R/dev"
mount -t proc proc "$R/proc"
mount --bind /etc/resolv.conf "$R/etc/resolv.conf"
mount --bind -o ro /etc/ssl/certs "$R/etc/ssl/certs"
exec chroot "$R" /usr/bin/env -i ` + strings.Join(env, " ") + ` /bin/sh -c '
cd /tmp/warm
go get dagger.io/dagger@'"$LIB"'
go mod tidy
for r in $(cat replaces.sdk); do go mod edit -replace "$r"; done
go get dagger.io/dagger@'"$LIB"'
go mod tidy
go build -ldflags "-s -w" -o /dev/null .
'`
	cmd := exec.CommandContext(ctx, "unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script)
	cmd.Env = append(os.Environ(), "R="+root, "LIB="+DaggerLibCommit)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build in image: %w: %s", err, out)
	}
	for _, p := range []string{dst, resolv} {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	dl := filepath.Join(root, "go/pkg/mod/cache/download")
	proxy := filepath.Join(root, strings.TrimPrefix(GoProxyInImage, "/"))
	return filepath.WalkDir(dl, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dl, p)
		if strings.HasSuffix(p, ".mod") && !strings.HasPrefix(rel, "sumdb/") {
			if _, err := os.Stat(filepath.Join(proxy, rel)); err != nil {
				return fmt.Errorf("module fetched from the network, not the file proxy: %s", rel)
			}
		}
		if strings.HasSuffix(p, ".zip") || strings.HasSuffix(p, ".lock") {
			return os.Remove(p)
		}
		return nil
	})
}

// copyTree copies a directory tree (regular files, dirs, symlinks), keeping
// permission bits.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			return os.Chmod(target, info.Mode().Perm())
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			return copyFile(p, target, info.Mode().Perm())
		}
		return nil
	})
}
