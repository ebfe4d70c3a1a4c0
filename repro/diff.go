package repro

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxFileDiffs bounds the files listed per layer in a Report; the rest are
// counted in FilesOmitted.
const maxFileDiffs = 200

// Diff compares a and b. When the digests are equal the report says so and
// nothing else is read. Otherwise it lists the differing manifest fields,
// config fields (by JSON path) and layers (by index); for each pair of
// layers whose diff_ids differ, and for layers present on one side only, it
// lists the files that differ with their metadata and content sha256.
func Diff(a, b v1.Image) (*Report, error) {
	sa, err := side(a)
	if err != nil {
		return nil, fmt.Errorf("diff: image a: %w", err)
	}
	sb, err := side(b)
	if err != nil {
		return nil, fmt.Errorf("diff: image b: %w", err)
	}
	r := &Report{Equal: sa.Digest == sb.Digest, A: sa, B: sb}
	if r.Equal {
		return r, nil
	}

	ma, err := a.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("diff: image a manifest: %w", err)
	}
	mb, err := b.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("diff: image b manifest: %w", err)
	}
	if r.Manifest, err = diffJSON(ma, mb, "config", "layers"); err != nil {
		return nil, fmt.Errorf("diff: manifests: %w", err)
	}
	ca, err := a.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("diff: image a config: %w", err)
	}
	cb, err := b.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("diff: image b config: %w", err)
	}
	if r.Config, err = diffJSON(ca, cb); err != nil {
		return nil, fmt.Errorf("diff: configs: %w", err)
	}

	la, err := a.Layers()
	if err != nil {
		return nil, fmt.Errorf("diff: image a layers: %w", err)
	}
	lb, err := b.Layers()
	if err != nil {
		return nil, fmt.Errorf("diff: image b layers: %w", err)
	}
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y v1.Layer
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		ld, err := diffLayer(i, x, y)
		if err != nil {
			return nil, fmt.Errorf("diff: layer %d: %w", i, err)
		}
		if ld != nil {
			r.Layers = append(r.Layers, *ld)
		}
	}
	return r, nil
}

func side(img v1.Image) (Side, error) {
	d, err := img.Digest()
	if err != nil {
		return Side{}, err
	}
	c, err := img.ConfigName()
	if err != nil {
		return Side{}, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return Side{}, err
	}
	m, err := img.Manifest()
	if err != nil {
		return Side{}, err
	}
	return Side{Digest: d.String(), ConfigDigest: c.String(), MediaType: string(mt), Layers: len(m.Layers)}, nil
}

func layerInfo(l v1.Layer) (*LayerInfo, error) {
	if l == nil {
		return nil, nil
	}
	d, err := l.Digest()
	if err != nil {
		return nil, err
	}
	id, err := l.DiffID()
	if err != nil {
		return nil, err
	}
	mt, err := l.MediaType()
	if err != nil {
		return nil, err
	}
	size, err := l.Size()
	if err != nil {
		return nil, err
	}
	return &LayerInfo{Digest: d.String(), DiffID: id.String(), MediaType: string(mt), Size: size}, nil
}

// diffLayer returns nil when the layers' blobs are identical.
func diffLayer(i int, a, b v1.Layer) (*LayerDiff, error) {
	ia, err := layerInfo(a)
	if err != nil {
		return nil, err
	}
	ib, err := layerInfo(b)
	if err != nil {
		return nil, err
	}
	if ia != nil && ib != nil && ia.Digest == ib.Digest {
		return nil, nil
	}
	ld := &LayerDiff{Index: i, A: ia, B: ib}
	if ia != nil && ib != nil && ia.DiffID == ib.DiffID {
		ld.SameContent = true
		return ld, nil
	}
	fa, err := listFiles(a)
	if err != nil {
		return nil, fmt.Errorf("reading a: %w", err)
	}
	fb, err := listFiles(b)
	if err != nil {
		return nil, fmt.Errorf("reading b: %w", err)
	}
	paths := map[string]bool{}
	for p := range fa {
		paths[p] = true
	}
	for p := range fb {
		paths[p] = true
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	for _, p := range sorted {
		x, y := fa[p], fb[p]
		var fd *FileDiff
		switch {
		case y == nil:
			fd = &FileDiff{Path: p, Change: "only-in-a", A: x}
		case x == nil:
			fd = &FileDiff{Path: p, Change: "only-in-b", B: y}
		default:
			if fields := fileFields(x, y); len(fields) > 0 {
				fd = &FileDiff{Path: p, Change: "modified", Fields: fields, A: x, B: y}
			}
		}
		if fd == nil {
			continue
		}
		fd.Hint = hintFor(p)
		if len(ld.Files) >= maxFileDiffs {
			ld.FilesOmitted++
			continue
		}
		ld.Files = append(ld.Files, *fd)
	}
	return ld, nil
}

func fileFields(a, b *FileInfo) []string {
	var f []string
	add := func(name string, differ bool) {
		if differ {
			f = append(f, name)
		}
	}
	add("type", a.Type != b.Type)
	add("size", a.Size != b.Size)
	add("mode", a.Mode != b.Mode)
	add("mtime", !a.ModTime.Equal(b.ModTime))
	add("uid", a.UID != b.UID)
	add("gid", a.GID != b.GID)
	add("uname", a.Uname != b.Uname)
	add("gname", a.Gname != b.Gname)
	add("linkname", a.Linkname != b.Linkname)
	add("sha256", a.SHA256 != b.SHA256)
	return f
}

// listFiles reads a layer into path -> FileInfo (last entry wins). A nil
// layer has no files.
func listFiles(l v1.Layer) (map[string]*FileInfo, error) {
	files := map[string]*FileInfo{}
	if l == nil {
		return files, nil
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		fi := &FileInfo{
			Type:     typeName(hdr.Typeflag),
			Size:     hdr.Size,
			Mode:     fmt.Sprintf("%04o", hdr.Mode&0o7777),
			ModTime:  hdr.ModTime.UTC(),
			UID:      hdr.Uid,
			GID:      hdr.Gid,
			Uname:    hdr.Uname,
			Gname:    hdr.Gname,
			Linkname: hdr.Linkname,
		}
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA { //nolint:staticcheck
			h := sha256.New()
			if _, err := io.Copy(h, tr); err != nil {
				return nil, fmt.Errorf("reading %s: %w", hdr.Name, err)
			}
			fi.SHA256 = hex.EncodeToString(h.Sum(nil))
		}
		files[cleanName(hdr.Name)] = fi
	}
}

func typeName(t byte) string {
	switch t {
	case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck
		return "file"
	case tar.TypeDir:
		return "dir"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeChar:
		return "char"
	case tar.TypeBlock:
		return "block"
	case tar.TypeFifo:
		return "fifo"
	}
	return fmt.Sprintf("type-%c", t)
}

// diffJSON compares two JSON documents field by field, skipping the named
// top-level keys.
func diffJSON(a, b []byte, skip ...string) ([]FieldDiff, error) {
	var x, y any
	if err := decode(a, &x); err != nil {
		return nil, err
	}
	if err := decode(b, &y); err != nil {
		return nil, err
	}
	if mx, ok := x.(map[string]any); ok {
		if my, ok := y.(map[string]any); ok {
			for _, k := range skip {
				delete(mx, k)
				delete(my, k)
			}
		}
	}
	var out []FieldDiff
	walkJSON("", x, y, &out)
	return out, nil
}

func decode(b []byte, v *any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func joinKey(prefix, key string) string {
	if identRE.MatchString(key) {
		if prefix == "" {
			return key
		}
		return prefix + "." + key
	}
	k, _ := json.Marshal(key)
	return prefix + "[" + string(k) + "]"
}

func raw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`"<unencodable>"`)
	}
	return b
}

// walkJSON appends a FieldDiff for every leaf (or type change) that differs.
func walkJSON(path string, a, b any, out *[]FieldDiff) {
	name := path
	if name == "" {
		name = "$"
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			va, ina := x[k]
			vb, inb := y[k]
			p := joinKey(path, k)
			switch {
			case !inb:
				*out = append(*out, FieldDiff{Path: p, A: raw(va), OnlyIn: "a"})
			case !ina:
				*out = append(*out, FieldDiff{Path: p, B: raw(vb), OnlyIn: "b"})
			default:
				walkJSON(p, va, vb, out)
			}
		}
		return
	case []any:
		y, ok := b.([]any)
		if !ok {
			break
		}
		for i := 0; i < max(len(x), len(y)); i++ {
			p := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case i >= len(y):
				*out = append(*out, FieldDiff{Path: p, A: raw(x[i]), OnlyIn: "a"})
			case i >= len(x):
				*out = append(*out, FieldDiff{Path: p, B: raw(y[i]), OnlyIn: "b"})
			default:
				walkJSON(p, x[i], y[i], out)
			}
		}
		return
	}
	ra, rb := raw(a), raw(b)
	if !bytes.Equal(ra, rb) {
		*out = append(*out, FieldDiff{Path: name, A: ra, B: rb})
	}
}
