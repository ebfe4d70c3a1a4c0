package bases

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/provision/debs"
)

// committedLock is the repository's lock.
const committedLock = "../../" + DefaultLockPath

// needBuildHost skips unless this host can build the images: root (for
// mmdebstrap and chroot), apt-get and npm. Downloads are cached in
// DefaultCacheDir, so only the first run on a machine is slow (~4 min).
func needBuildHost(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds both base images (slow); not with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (mmdebstrap --mode=root, chroot)")
	}
	for _, tool := range []string{"apt-get", "npm", "chroot", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
}

type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestBuildOnMovedMirror provisions the bases the way a fresh machine does
// on a day Debian's mirror no longer serves a single locked version: every
// .deb download fails (the seam stands for the mirror) and the lock's
// builder package set names versions no mirror has. The runtime must still
// build bit for bit to the locked digest, from the project's own mirror
// (baselock/debs, and baselock/debs/arm64 for the linux/arm64 runtime); the
// builder is rebuilt from current packages, which
// Ensure says in one line, and tagged so the pipeline finds it. A second
// Ensure reuses both. Then node, npm, g++ and a node-gyp addon run in
// chroots of the unpacked images.
func TestBuildOnMovedMirror(t *testing.T) {
	needBuildHost(t)
	ctx := context.Background()
	committed, err := LoadLock(committedLock)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lockCopy := filepath.Join(dir, "bases.lock")
	moved := *committed
	moved.Debian.BuilderPackages = append([]string(nil), committed.Debian.BuilderPackages...)
	for i, p := range moved.Debian.BuilderPackages {
		if strings.HasPrefix(p, "zlib1g=") || strings.HasPrefix(p, "libc6=") {
			moved.Debian.BuilderPackages[i] = p + "~gone"
		}
	}
	// The builder the lock was written with is gone with its packages.
	moved.Images.Builder.Digest = "sha256:" + strings.Repeat("0", 64)
	if err := moved.Save(lockCopy); err != nil {
		t.Fatal(err)
	}
	var downloads int
	o := Options{LockPath: lockCopy, MirrorDir: filepath.Join(filepath.Dir(committedLock), "debs"), Log: testLog{t},
		download: func(ctx context.Context, dir string, d debs.Deb, log io.Writer) error {
			downloads++
			return fmt.Errorf("E: Version '%s' for '%s' was not found", d.Version, d.Name)
		}}

	reg := testRegistry(t)
	lay := filepath.Join(dir, "layout")
	var log bytes.Buffer
	o.Registry, o.LayoutDir, o.Log = reg, lay, io.MultiWriter(&log, testLog{t})
	start := time.Now()
	got, err := Ensure(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("build + push on a moved mirror: %s", time.Since(start).Round(time.Second))
	if downloads != 0 {
		t.Errorf("%d .deb downloads tried; the runtime must come from the project's mirror", downloads)
	}
	if got.RuntimeRef() != moved.RuntimeRefIn(reg) {
		t.Errorf("runtime %s, want the locked %s", got.RuntimeRef(), moved.RuntimeRefIn(reg))
	}
	if got.BuilderRef() == moved.BuilderRefIn(reg) {
		t.Errorf("builder %s is the locked digest although its packages are gone", got.BuilderRef())
	}
	if !strings.Contains(log.String(), "Debian moved on since the lock (") || !strings.Contains(log.String(), "~gone") {
		t.Errorf("Ensure did not say the builder was rebuilt from current packages:\n%s", log.String())
	}
	tagged, err := remote.Head(mustTag(t, moved.BuilderTagIn(reg)))
	if err != nil || reg+"/"+BuilderRepository+"@"+tagged.Digest.String() != got.BuilderRef() {
		t.Errorf("builder tag %s: %v, %v; want %s", moved.BuilderTagIn(reg), tagged, err, got.BuilderRef())
	}
	if p, err := layout.FromPath(lay); err != nil {
		t.Error(err)
	} else if idx, err := p.ImageIndex(); err != nil {
		t.Error(err)
	} else if m, _ := idx.IndexManifest(); len(m.Manifests) != 1+len(moved.Platforms()) {
		t.Errorf("layout has %d manifests, want the builder and a runtime for each of %v", len(m.Manifests), moved.Platforms())
	}

	log.Reset()
	again, err := Ensure(ctx, Options{Registry: reg, LockPath: lockCopy, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "reused") || again.BuilderRef() != got.BuilderRef() {
		t.Errorf("second Ensure did not reuse %s: %s", got.BuilderRef(), log.String())
	}

	l := &moved
	rtRef, bdRef := mustDigest(t, got.RuntimeRef()), mustDigest(t, got.BuilderRef())
	rtImg, err := remote.Image(rtRef)
	if err != nil {
		t.Fatal(err)
	}
	bdImg, err := remote.Image(bdRef)
	if err != nil {
		t.Fatal(err)
	}
	rt1, bd1 := &built{Image: rtImg}, &built{Image: bdImg}

	// Runtime: config, no shell, node runs as user node.
	cf, err := rt1.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "1000:1000" || cf.Config.WorkingDir != "/app" || !cf.Created.Time.Equal(l.Epoch()) {
		t.Errorf("runtime config: user %q workdir %q created %s", cf.Config.User, cf.Config.WorkingDir, cf.Created)
	}
	rootRT := unpack(t, rt1.Image)
	for _, sh := range []string{"bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/dash"} {
		if _, err := os.Lstat(filepath.Join(rootRT, sh)); err == nil {
			t.Errorf("runtime has %s", sh)
		}
	}
	if fi, err := os.Stat(filepath.Join(rootRT, "usr/local/bin/node")); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("runtime /usr/local/bin/node: %v", err)
	}
	passwd, _ := os.ReadFile(filepath.Join(rootRT, "etc/passwd"))
	if !strings.Contains(string(passwd), "node:x:1000:1000:") {
		t.Errorf("runtime /etc/passwd: %q", passwd)
	}
	out := chroot(t, rootRT, "1000:1000", nil, "/usr/local/bin/node", "-e",
		`const os=require("os"); console.log(process.version, os.userInfo().username, require("fs").readFileSync("/etc/ssl/certs/ca-certificates.crt").length>100000)`)
	if want := "v" + l.Node.Version + " node true"; out != want {
		t.Errorf("runtime node: %q, want %q", out, want)
	}

	// Builder: shell, npm, g++, and a native addon built offline with the headers.
	cf, _ = bd1.Image.ConfigFile()
	env := cf.Config.Env
	rootBD := unpack(t, bd1.Image)
	out = chroot(t, rootBD, "", env, "/bin/sh", "-c", "npm --version && g++ --version | head -n1 && python3 --version && make --version | head -n1")
	if !strings.HasPrefix(out, l.NPM.Version+"\ng++ (Debian 12") || !strings.Contains(out, "Python 3") || !strings.Contains(out, "GNU Make") {
		t.Errorf("builder tools: %q", out)
	}
	addon := filepath.Join(rootBD, "tmp/addon")
	os.MkdirAll(addon, 0o755)
	os.WriteFile(filepath.Join(addon, "binding.gyp"), []byte(`{"targets":[{"target_name":"hello","sources":["hello.cc"]}]}`), 0o644)
	os.WriteFile(filepath.Join(addon, "hello.cc"), []byte(helloAddon), 0o644)
	out = chroot(t, rootBD, "", env, "/bin/sh", "-c",
		"cd /tmp/addon && node /usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js rebuild >/tmp/gyp.log 2>&1 || { cat /tmp/gyp.log; exit 1; }; "+
			`node -e 'console.log(require("./build/Release/hello.node").hello())'`)
	if out != "world" {
		t.Errorf("native addon: %q", out)
	}
}

func mustTag(t *testing.T, s string) name.Tag {
	t.Helper()
	r, err := name.NewTag(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustDigest(t *testing.T, s string) name.Digest {
	t.Helper()
	r, err := name.NewDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const helloAddon = `#include <node_api.h>
static napi_value Hello(napi_env env, napi_callback_info info) {
  napi_value s; napi_create_string_utf8(env, "world", NAPI_AUTO_LENGTH, &s); return s;
}
NAPI_MODULE_INIT() {
  napi_value fn; napi_create_function(env, "hello", NAPI_AUTO_LENGTH, Hello, NULL, &fn);
  napi_set_named_property(env, exports, "hello", fn); return exports;
}
`

// unpack extracts an image's flattened file system into a temp dir.
func unpack(t *testing.T, img v1.Image) string {
	t.Helper()
	dir := t.TempDir()
	rc := mutate.Extract(img)
	defer rc.Close()
	cmd := exec.Command("tar", "-x", "-p", "--numeric-owner", "-C", dir)
	cmd.Stdin = rc
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("unpack: %v: %s", err, out)
	}
	return dir
}

// chroot runs a command inside root, optionally as uid:gid, and returns its
// trimmed stdout.
func chroot(t *testing.T, root, user string, env []string, args ...string) string {
	t.Helper()
	cargs := []string{}
	if user != "" {
		cargs = append(cargs, "--userspec="+user)
	}
	cargs = append(cargs, root)
	cmd := exec.Command("chroot", append(cargs, args...)...)
	cmd.Env = append([]string{"PATH=" + PATH, "HOME=/root"}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chroot %v: %v\n%s\n%s", args, err, out, stderr.String())
	}
	return strings.TrimSpace(string(out))
}
