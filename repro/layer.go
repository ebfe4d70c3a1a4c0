package repro

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"dagger/immutable/internal/tarlayer"
)

// normalizeLayer rewrites one layer as documented on Normalize, with media
// type mt, by the project's one deterministic tar writer (tarlayer).
// Contents are spooled to a temporary file while entries are sorted; the
// compressed result is kept in memory.
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

	entries := map[string]*tarlayer.Entry{}
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
			o.drop(name)
			continue
		}
		n, err := io.Copy(spool, tr)
		if err != nil {
			return nil, fmt.Errorf("spooling %s: %w", hdr.Name, err)
		}
		hdr.Size = n
		if o.uid != nil {
			hdr.Uid, hdr.Gid = *o.uid, *o.gid
		}
		entries[name] = &tarlayer.Entry{Header: hdr, Body: io.NewSectionReader(spool, off, n)}
		off += n
	}

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, o.level)
	if err != nil {
		return nil, err
	}
	if err := tarlayer.Write(zw, entries, epoch, timeMode(o.mode)); err != nil {
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

// timeMode is tarlayer's mode for m.
func timeMode(m TimeMode) tarlayer.TimeMode {
	if m == ClampTimes {
		return tarlayer.ClampTimes
	}
	return tarlayer.SetTimes
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
// binary): their recompressed layers are kept for the life of the process,
// by diff_id, level and media type, so a release's second build, its tests
// and the next build neither compress them nor hash them again.
func recompressLayer(l v1.Layer, mt types.MediaType, level int) (v1.Layer, error) {
	id, err := l.DiffID()
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s %d %s", id, level, mt)
	v, _ := recompressed.LoadOrStore(key, &onceLayer{})
	ol := v.(*onceLayer)
	ol.once.Do(func() { ol.layer, ol.err = recompress(l, mt, level) })
	if ol.err != nil {
		recompressed.Delete(key)
		return nil, ol.err
	}
	return ol.layer, nil
}

// recompressed holds *onceLayer by "diff_id level media-type".
var recompressed sync.Map

type onceLayer struct {
	once  sync.Once
	layer v1.Layer
	err   error
}

// recompress gzips l's uncompressed bytes at level into an in-memory layer
// of media type mt; its digest and diff_id are computed once, here.
func recompress(l v1.Layer, mt types.MediaType, level int) (v1.Layer, error) {
	blob, err := gzipUncompressed(l, level)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	}, tarball.WithMediaType(mt))
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
