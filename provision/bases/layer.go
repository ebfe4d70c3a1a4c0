package bases

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"dagger/immutable/repro"
)

// gzipLevel is fixed: the same tar always compresses to the same bytes with
// the klauspost/compress version go.sum pins, whatever Go runs this.
const gzipLevel = repro.DefaultCompressionLevel

// layerFile writes the tree as a gzip-compressed, reproducible tar into
// dir/sha256-<hex>.tar.gz (content addressed, so concurrent or repeated
// builds never overwrite a file another image still reads) and returns it as
// an OCI layer.
func layerFile(t *tree, epoch time.Time, dir string) (v1.Layer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("layer dir: %w", err)
	}
	f, err := os.CreateTemp(dir, "layer-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("layer file: %w", err)
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzipLevel)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("gzip: %w", err)
	}
	werr := t.writeTar(zw, epoch)
	if werr == nil {
		werr = zw.Close()
	}
	if werr == nil {
		werr = bw.Flush()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("write layer: %w", werr)
	}
	final := filepath.Join(dir, "sha256-"+hex.EncodeToString(h.Sum(nil))+".tar.gz")
	if err := os.Rename(f.Name(), final); err != nil {
		return nil, fmt.Errorf("write layer: %w", err)
	}
	l, err := tarball.LayerFromFile(final, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("open layer: %w", err)
	}
	return l, nil
}
