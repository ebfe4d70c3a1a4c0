package sdkimage

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"dagger/immutable/internal/tarlayer"
)

// Epoch is the mtime of every file in the image except the warm layer, and
// the image's creation time.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// layerSpec names a layer and the rootfs paths (and everything below them)
// it holds. The base layer takes whatever no other layer claims.
type layerSpec struct {
	Name     string
	Prefixes []string
	// RealMtime keeps file mtimes (see the package doc on the warm layer).
	RealMtime bool
}

var layerSpecs = []layerSpec{
	{Name: "base"},
	{Name: "go", Prefixes: []string{"usr/local/go"}},
	{Name: "goproxy", Prefixes: []string{strings.TrimPrefix(GoProxyInImage, "/")}},
	{Name: "codegen", Prefixes: []string{"usr/local/bin/codegen"}},
	{Name: "warm", Prefixes: []string{"go", "root/.cache"}, RealMtime: true},
}

// layerIndex returns the index in layerSpecs of the layer holding rel.
func layerIndex(rel string) int {
	for i, l := range layerSpecs {
		for _, p := range l.Prefixes {
			if rel == p || strings.HasPrefix(rel, p+"/") {
				return i
			}
		}
	}
	return 0
}

// build stages the rootfs, writes the layer tars and the image into
// ContentDir, and returns the manifest digest.
func build(ctx context.Context, o Options, codegen string, debs []deb) (string, error) {
	root, err := stageRootfs(ctx, o, codegen, debs)
	if err != nil {
		return "", err
	}
	layerDir := filepath.Join(o.CacheDir, "layers")
	if err := os.RemoveAll(layerDir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(layerDir, 0o755); err != nil {
		return "", err
	}
	paths, err := writeLayerTars(root, layerDir)
	if err != nil {
		return "", fmt.Errorf("layers: %w", err)
	}
	// The layer tars hold everything; the staged tree is rebuilt next time.
	if err := os.RemoveAll(root); err != nil {
		return "", fmt.Errorf("clean rootfs: %w", err)
	}
	img, err := assemble(paths)
	if err != nil {
		return "", err
	}
	o.logf("    writing blobs to %s", o.ContentDir)
	if err := os.MkdirAll(filepath.Join(o.ContentDir, "blobs", "sha256"), 0o755); err != nil {
		return "", fmt.Errorf("content dir: %w", err)
	}
	if err := layout.Path(o.ContentDir).WriteImage(img); err != nil {
		return "", fmt.Errorf("write image: %w", err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	if err := checkBlobs(o.ContentDir, d.String()); err != nil {
		return "", err
	}
	_ = os.RemoveAll(layerDir)
	return d.String(), nil
}

// writeLayerTars walks root once in lexical order and writes one tar per
// layerSpec by the project's one deterministic tar writer (tarlayer); each
// non-base layer also carries its parent directories.
func writeLayerTars(root, dir string) ([]string, error) {
	type out struct {
		f    *os.File
		bw   *bufio.Writer
		tw   *tarlayer.Writer
		dirs map[string]bool
	}
	outs := make([]*out, len(layerSpecs))
	paths := make([]string, len(layerSpecs))
	for i, l := range layerSpecs {
		paths[i] = filepath.Join(dir, l.Name+".tar")
		f, err := os.Create(paths[i])
		if err != nil {
			return nil, err
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		mode := tarlayer.SetTimes
		if l.RealMtime {
			mode = tarlayer.KeepTimes
		}
		outs[i] = &out{f: f, bw: bw, tw: tarlayer.NewWriter(bw, Epoch, mode), dirs: map[string]bool{}}
	}
	header := func(rel string, info fs.FileInfo) (*tar.Header, error) {
		h := &tar.Header{Name: rel, Mode: int64(info.Mode().Perm()), ModTime: info.ModTime()}
		m := info.Mode()
		if m&fs.ModeSetuid != 0 {
			h.Mode |= 04000
		}
		if m&fs.ModeSetgid != 0 {
			h.Mode |= 02000
		}
		if m&fs.ModeSticky != 0 {
			h.Mode |= 01000
		}
		switch {
		case m.IsDir():
			h.Typeflag = tar.TypeDir
		case m&fs.ModeSymlink != 0:
			link, err := os.Readlink(filepath.Join(root, rel))
			if err != nil {
				return nil, err
			}
			h.Typeflag, h.Linkname = tar.TypeSymlink, link
		case m.IsRegular():
			h.Typeflag, h.Size = tar.TypeReg, info.Size()
		default:
			return nil, nil // sockets, devices: not in an image
		}
		return h, nil
	}
	write := func(i int, rel string, info fs.FileInfo) error {
		h, err := header(rel, info)
		if err != nil || h == nil {
			return err
		}
		o := outs[i]
		if h.Typeflag == tar.TypeDir {
			o.dirs[rel] = true
		}
		if h.Typeflag != tar.TypeReg {
			return o.tw.WriteEntry(h, nil)
		}
		f, err := os.Open(filepath.Join(root, rel))
		if err != nil {
			return err
		}
		defer f.Close()
		return o.tw.WriteEntry(h, f)
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		i := layerIndex(rel)
		if i != 0 {
			// parent directories first, once per layer
			parts := strings.Split(rel, "/")
			for n := 1; n < len(parts); n++ {
				parent := strings.Join(parts[:n], "/")
				if outs[i].dirs[parent] {
					continue
				}
				pinfo, err := os.Lstat(filepath.Join(root, parent))
				if err != nil {
					return err
				}
				if err := write(i, parent, pinfo); err != nil {
					return err
				}
			}
		}
		return write(i, rel, info)
	})
	for _, o := range outs {
		if cerr := o.tw.Close(); err == nil {
			err = cerr
		}
		if cerr := o.bw.Flush(); err == nil {
			err = cerr
		}
		if cerr := o.f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return nil, err
	}
	return paths, nil
}

// assemble builds the OCI image from the layer tars.
func assemble(layerTars []string) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Created:      v1.Time{Time: Epoch},
		Config: v1.Config{
			Env:        imageEnv(),
			WorkingDir: "/go",
			Cmd:        []string{"/bin/sh"},
			Labels: map[string]string{
				"org.opencontainers.image.title":   "dagger-go-sdk-runtime",
				"org.opencontainers.image.version": DaggerLibVersion,
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for i, p := range layerTars {
		l, err := tarball.LayerFromFile(p, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", layerSpecs[i].Name, err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{
			Created:   v1.Time{Time: Epoch},
			CreatedBy: "sdkimage: " + layerSpecs[i].Name,
		}})
		if err != nil {
			return nil, fmt.Errorf("append %s: %w", layerSpecs[i].Name, err)
		}
	}
	return img, nil
}

// checkBlobs verifies that the manifest and every blob it names exist in
// the content store.
func checkBlobs(contentDir, manifestDigest string) error {
	blob := func(d string) string {
		return filepath.Join(contentDir, "blobs", strings.Replace(d, ":", "/", 1))
	}
	b, err := os.ReadFile(blob(manifestDigest))
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if got := "sha256:" + sha256Hex(b); got != manifestDigest {
		return fmt.Errorf("manifest %s: content digest %s", manifestDigest, got)
	}
	var m v1.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("parse manifest: %w", err)
	}
	if m.MediaType != types.OCIManifestSchema1 {
		return fmt.Errorf("manifest media type %q, want %q", m.MediaType, types.OCIManifestSchema1)
	}
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		st, err := os.Stat(blob(d.Digest.String()))
		if err != nil {
			return fmt.Errorf("blob: %w", err)
		}
		if st.Size() != d.Size {
			return fmt.Errorf("blob %s: size %d, want %d", d.Digest, st.Size(), d.Size)
		}
	}
	return nil
}
