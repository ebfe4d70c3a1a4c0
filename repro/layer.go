package repro

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// entry is one tar entry of a layer being rewritten; its content lives in
// the spool file at [off, off+hdr.Size).
type entry struct {
	hdr *tar.Header
	off int64
}

// normalizeLayer rewrites one layer as documented on Normalize, with media
// type mt. Contents are
// spooled to a temporary file while entries are sorted; the compressed
// result is kept in memory.
func normalizeLayer(l v1.Layer, mt types.MediaType, epoch time.Time, o *options) (v1.Layer, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("opening: %w", err)
	}
	defer rc.Close()

	spool, err := os.CreateTemp("", "repro-layer-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()

	byName := map[string]*entry{}
	var off int64
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			// Archive-wide PAX records (git archive writes one); not a file.
			continue
		}
		name := cleanName(hdr.Name)
		if matchAny(o.remove, name) {
			continue
		}
		n, err := io.Copy(spool, tr)
		if err != nil {
			return nil, fmt.Errorf("spooling %s: %w", hdr.Name, err)
		}
		hdr.Size = n
		byName[name] = &entry{hdr: normalizeHeader(hdr, name, epoch, o), off: off}
		off += n
	}

	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	// Plain byte order, except that the root ("./") comes first: every
	// other name has its parents as prefixes, so parents precede children.
	sort.Slice(names, func(i, j int) bool {
		if names[i] == "." || names[j] == "." {
			return names[i] == "." && names[j] != "."
		}
		return names[i] < names[j]
	})
	relinkHardlinks(names, byName)

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, o.level)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, n := range names {
		e := byName[n]
		if err := tw.WriteHeader(e.hdr); err != nil {
			return nil, fmt.Errorf("writing %s: %w", n, err)
		}
		if e.hdr.Size > 0 {
			if _, err := io.Copy(tw, io.NewSectionReader(spool, e.off, e.hdr.Size)); err != nil {
				return nil, fmt.Errorf("writing %s: %w", n, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	blob := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	}, tarball.WithMediaType(mt))
}

// normalizeHeader returns the canonical header for hdr, named name.
func normalizeHeader(hdr *tar.Header, name string, epoch time.Time, o *options) *tar.Header {
	typ := hdr.Typeflag
	if typ == tar.TypeRegA { //nolint:staticcheck // old tars still use it
		typ = tar.TypeReg
	}
	h := &tar.Header{
		Typeflag: typ,
		Name:     entryName(name, typ == tar.TypeDir),
		Linkname: hdr.Linkname,
		Size:     hdr.Size,
		Mode:     hdr.Mode & 0o7777,
		Uid:      hdr.Uid,
		Gid:      hdr.Gid,
		ModTime:  epoch,
		Format:   tar.FormatPAX,
	}
	if typ == tar.TypeLink {
		h.Linkname = cleanName(hdr.Linkname)
	}
	if typ != tar.TypeReg {
		h.Size = 0
	}
	if typ == tar.TypeChar || typ == tar.TypeBlock {
		h.Devmajor, h.Devminor = hdr.Devmajor, hdr.Devminor
	}
	if o.mode == ClampTimes && hdr.ModTime.Before(epoch) {
		h.ModTime = hdr.ModTime.UTC().Truncate(time.Second)
	}
	if o.uid != nil {
		h.Uid, h.Gid = *o.uid, *o.gid
	}
	for k, v := range hdr.PAXRecords {
		if strings.HasPrefix(k, "SCHILY.xattr.") || strings.HasPrefix(k, "LIBARCHIVE.xattr.") {
			if h.PAXRecords == nil {
				h.PAXRecords = map[string]string{}
			}
			h.PAXRecords[k] = v
		}
	}
	return h
}

// relinkHardlinks makes hard links independent of the order the build wrote
// them in: in each group (a file and the links to it) the first name in
// sorted order carries the content and the others link to it. Links to
// files outside the layer are left alone.
func relinkHardlinks(names []string, byName map[string]*entry) {
	groups := map[string][]string{} // target -> links
	for _, n := range names {
		h := byName[n].hdr
		if h.Typeflag != tar.TypeLink {
			continue
		}
		t := h.Linkname
		// Follow chains (a link to a link) to the file holding content.
		for seen := 0; seen < len(names); seen++ {
			te, ok := byName[t]
			if !ok || te.hdr.Typeflag != tar.TypeLink {
				break
			}
			t = te.hdr.Linkname
		}
		if te, ok := byName[t]; ok && te.hdr.Typeflag == tar.TypeReg {
			groups[t] = append(groups[t], n)
		}
	}
	for target, links := range groups {
		members := append([]string{target}, links...)
		sort.Strings(members)
		first := members[0]
		src := byName[target]
		if first != target {
			h := *src.hdr
			h.Name = first
			byName[first] = &entry{hdr: &h, off: src.off}
		}
		for _, n := range members[1:] {
			h := *byName[n].hdr
			h.Typeflag = tar.TypeLink
			h.Linkname = first
			h.Size = 0
			byName[n] = &entry{hdr: &h}
		}
	}
}

// layerMediaType is the gzip layer media type of the same family (OCI or
// Docker) as the manifest media type mt.
func layerMediaType(mt types.MediaType) types.MediaType {
	if strings.HasPrefix(string(mt), "application/vnd.oci.") {
		return types.OCILayer
	}
	return types.DockerLayer
}

// recompressLayer returns l with the same uncompressed bytes (so the same
// diff_id) gzip'd at level, as every layer this package writes, keeping
// its media type.
// Base layers are the same in every build of an app (tens of MB, the node
// binary): their recompressed blobs are kept for the life of the process,
// by diff_id and level, so a release's second build and its tests do not
// compress them again.
func recompressLayer(l v1.Layer, mt types.MediaType, level int) (v1.Layer, error) {
	id, err := l.DiffID()
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s %d", id, level)
	v, _ := recompressed.LoadOrStore(key, &onceBlob{})
	ob := v.(*onceBlob)
	ob.once.Do(func() { ob.blob, ob.err = gzipUncompressed(l, level) })
	if ob.err != nil {
		recompressed.Delete(key)
		return nil, ob.err
	}
	blob := ob.blob
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	}, tarball.WithMediaType(mt))
}

// recompressed holds *onceBlob by "diff_id level".
var recompressed sync.Map

type onceBlob struct {
	once sync.Once
	blob []byte
	err  error
}

// gzipUncompressed gzips l's uncompressed bytes at level.
func gzipUncompressed(l v1.Layer, level int) ([]byte, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(zw, rc); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
