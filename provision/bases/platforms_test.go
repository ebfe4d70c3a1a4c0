package bases

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"dagger/immutable/provision/debs"
)

// TestRuntimesFromLock rebuilds every locked runtime — linux/amd64 and each
// of runtimePlatforms (linux/arm64) — from the committed lock and
// baselock/debs alone, the way a fresh machine does once Debian's mirror no
// longer serves a locked version (every .deb download fails), and gets the
// locked digests bit for bit. Node packages come from the download cache
// (DefaultCacheDir), or the npm registry by integrity on a machine's first
// run. Nothing of another architecture is run: each image's node binary is
// read as ELF instead — the platform's machine, with its program
// interpreter and every library it needs present in the image.
func TestRuntimesFromLock(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the runtimes (node layers of ~47 MB each); not with -short")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("needs npm (for node packages not in the cache yet)")
	}
	ctx := context.Background()
	l, err := LoadLock(committedLock)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.RuntimePlatforms) == 0 {
		t.Fatal("the committed lock has no runtime platforms besides linux/amd64")
	}
	cache := DefaultCacheDir()
	if err := os.MkdirAll(cache, 0o755); err != nil {
		cache = t.TempDir()
	}
	var downloads int
	o := Options{LockPath: committedLock, CacheDir: cache, Log: testLog{t},
		download: func(ctx context.Context, dir string, d debs.Deb, log io.Writer) error {
			downloads++
			return fmt.Errorf("E: Version '%s' for '%s' was not found", d.Version, d.Name)
		}}.withDefaults()

	start := time.Now()
	tgz, err := fetchNPM(ctx, o.CacheDir, l.Node, o.Log)
	if err != nil {
		t.Fatal(err)
	}
	_, node, err := nodeLayer(l.Node, l.Epoch(), tgz, layerDir(o))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := buildRuntime(ctx, o, l, node)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareImage(l.Images.Runtime, rt); err != nil {
		t.Error(err)
	}
	checkRuntimeImage(t, rt.Image, "amd64", elf.EM_X86_64, "x86_64-linux-gnu")
	t.Logf("linux/amd64 runtime %s (%s)", l.Images.Runtime.Digest, time.Since(start).Round(time.Millisecond))

	for _, p := range l.RuntimePlatforms {
		start := time.Now()
		b, err := buildPlatform(ctx, o, l, p)
		if err != nil {
			t.Fatal(err)
		}
		one := *l
		one.RuntimePlatforms = []RuntimePlatform{p}
		if err := comparePlatforms(&one, []*built{b}); err != nil {
			t.Error(err)
		}
		switch p.Platform {
		case "linux/arm64":
			checkRuntimeImage(t, b.Image, "arm64", elf.EM_AARCH64, "aarch64-linux-gnu")
		default:
			t.Errorf("no ELF check for %s", p.Platform)
		}
		t.Logf("%s runtime %s (%s)", p.Platform, p.Image.Digest, time.Since(start).Round(time.Millisecond))
	}
	if downloads != 0 {
		t.Errorf("%d .deb downloads tried; the runtimes must come from baselock/debs", downloads)
	}
}

// checkRuntimeImage checks a runtime's config platform and, without running
// it, that its node binary can start there: the ELF machine, the program
// interpreter and each DT_NEEDED library resolve (through symlinks) to
// files of the image's flattened file system.
func checkRuntimeImage(t *testing.T, img v1.Image, arch string, machine elf.Machine, triplet string) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != arch || cf.OS != "linux" || cf.Config.User != "1000:1000" || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/usr/local/bin/node" {
		t.Errorf("%s config: architecture %q os %q user %q entrypoint %v", arch, cf.Architecture, cf.OS, cf.Config.User, cf.Config.Entrypoint)
	}
	fs := map[string]*tar.Header{}
	var nodeBin []byte
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		fs[name] = h
		if name == "usr/local/bin/node" {
			if nodeBin, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, sh := range []string{"bin/sh", "usr/bin/sh", "bin/bash", "bin/dash"} {
		if _, ok := fs[sh]; ok {
			t.Errorf("%s runtime has %s", arch, sh)
		}
	}
	if nodeBin == nil {
		t.Fatalf("%s runtime has no /usr/local/bin/node", arch)
	}
	f, err := elf.NewFile(bytes.NewReader(nodeBin))
	if err != nil {
		t.Fatalf("%s node: %v", arch, err)
	}
	if f.Machine != machine {
		t.Errorf("%s node is for %s, want %s", arch, f.Machine, machine)
	}
	var interp string
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			b, _ := io.ReadAll(prog.Open())
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if interp == "" {
		t.Errorf("%s node has no program interpreter", arch)
	} else if _, ok := resolveIn(fs, interp); !ok {
		t.Errorf("%s runtime lacks node's interpreter %s", arch, interp)
	}
	libs, err := f.ImportedLibraries()
	if err != nil || len(libs) == 0 {
		t.Fatalf("%s node's libraries: %v %v", arch, libs, err)
	}
	for _, lib := range libs {
		found := false
		for _, dir := range []string{"/lib/" + triplet, "/usr/lib/" + triplet, "/lib", "/usr/lib"} {
			if _, ok := resolveIn(fs, filepath.Join(dir, lib)); ok {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s runtime lacks %s, which node needs", arch, lib)
		}
	}
	t.Logf("%s node: %s, interpreter %s, needs %s", arch, f.Machine, interp, strings.Join(libs, " "))
}

// resolveIn follows symlinks of an image's file system (names without a
// leading "/") to the regular file p names.
func resolveIn(fs map[string]*tar.Header, p string) (string, bool) {
	parts := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	cur := ""
	for hops := 0; len(parts) > 0; {
		next := path.Join(cur, parts[0])
		parts = parts[1:]
		h, ok := fs[next]
		if !ok {
			return "", false
		}
		if h.Typeflag == tar.TypeSymlink {
			if hops++; hops > 40 {
				return "", false
			}
			base := cur
			if strings.HasPrefix(h.Linkname, "/") {
				base = ""
			}
			target := strings.Trim(path.Clean("/"+path.Join(base, h.Linkname)), "/")
			cur = ""
			if target != "" {
				parts = append(strings.Split(target, "/"), parts...)
			}
			continue
		}
		cur = next
	}
	h := fs[cur]
	return cur, h != nil && (h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeLink)
}
