package repro

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// LoadTarball reads an image from a tar file in either format Dagger and
// docker produce:
//
//   - an OCI image layout (oci-layout, index.json, blobs/), which is what
//     Dagger v0.21.8's Container.AsTarball/Export write by default (via
//     containerd's archive exporter, which also adds a docker manifest.json);
//     the stored manifest is used as is, so the image digest is the one
//     Dagger computed;
//   - a `docker save` tarball (manifest.json only), read with
//     tarball.ImageFromPath.
//
// An OCI index listing several images is resolved to the linux image for
// the host's architecture. Blobs are read lazily from the file, which must
// stay in place while the image is used.
func LoadTarball(path string) (v1.Image, error) {
	names, err := tarNames(path)
	if err != nil {
		return nil, fmt.Errorf("load tarball %s: %w", path, err)
	}
	switch {
	case names["oci-layout"] && names["index.json"]:
		img, err := loadLayoutTar(path)
		if err != nil {
			return nil, fmt.Errorf("load tarball %s: %w", path, err)
		}
		return img, nil
	case names["manifest.json"]:
		img, err := tarball.ImageFromPath(path, nil)
		if err != nil {
			return nil, fmt.Errorf("load tarball %s: %w", path, err)
		}
		return img, nil
	default:
		return nil, fmt.Errorf("load tarball %s: neither an OCI layout (oci-layout, index.json) nor a docker save tarball (manifest.json)", path)
	}
}

// tarNames lists the regular files of the tar at path.
func tarNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA { //nolint:staticcheck
			names[cleanName(hdr.Name)] = true
		}
	}
}

// tarEntry opens the file named name inside the tar at path.
func tarEntry(path, name string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			f.Close()
			return nil, fmt.Errorf("%s not found", name)
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		if cleanName(hdr.Name) == name {
			return struct {
				io.Reader
				io.Closer
			}{tr, f}, nil
		}
	}
}

func readTarEntry(path, name string) ([]byte, error) {
	rc, err := tarEntry(path, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func blobName(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// layoutTar is a partial.CompressedImageCore over an OCI layout tar.
type layoutTar struct {
	path     string
	desc     v1.Descriptor
	manifest []byte
	m        *v1.Manifest
}

func loadLayoutTar(path string) (v1.Image, error) {
	raw, err := readTarEntry(path, "index.json")
	if err != nil {
		return nil, fmt.Errorf("reading index.json: %w", err)
	}
	desc, err := resolveManifest(path, raw, 0)
	if err != nil {
		return nil, err
	}
	mb, err := readTarEntry(path, blobName(desc.Digest))
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", desc.Digest, err)
	}
	m, err := v1.ParseManifest(strings.NewReader(string(mb)))
	if err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w", desc.Digest, err)
	}
	return partial.CompressedToImage(&layoutTar{path: path, desc: desc, manifest: mb, m: m})
}

// resolveManifest finds the single image manifest an index points to,
// descending into nested indexes.
func resolveManifest(path string, rawIndex []byte, depth int) (v1.Descriptor, error) {
	if depth > 4 {
		return v1.Descriptor{}, errors.New("index nesting too deep")
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(rawIndex, &idx); err != nil {
		return v1.Descriptor{}, fmt.Errorf("parsing index: %w", err)
	}
	var found []v1.Descriptor
	for _, d := range idx.Manifests {
		switch {
		case d.MediaType.IsImage():
			found = append(found, d)
		case d.MediaType.IsIndex():
			raw, err := readTarEntry(path, blobName(d.Digest))
			if err != nil {
				return v1.Descriptor{}, fmt.Errorf("reading index %s: %w", d.Digest, err)
			}
			sub, err := resolveManifest(path, raw, depth+1)
			if err != nil {
				return v1.Descriptor{}, err
			}
			found = append(found, sub)
		}
	}
	switch len(found) {
	case 0:
		return v1.Descriptor{}, errors.New("index lists no image manifest")
	case 1:
		return found[0], nil
	}
	want := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	for _, d := range found {
		if d.Platform != nil && d.Platform.Satisfies(want) {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("index lists %d images, none for %s/%s", len(found), want.OS, want.Architecture)
}

func (l *layoutTar) RawManifest() ([]byte, error) { return l.manifest, nil }

func (l *layoutTar) MediaType() (types.MediaType, error) {
	if l.m.MediaType != "" {
		return l.m.MediaType, nil
	}
	return l.desc.MediaType, nil
}

func (l *layoutTar) RawConfigFile() ([]byte, error) {
	return readTarEntry(l.path, blobName(l.m.Config.Digest))
}

func (l *layoutTar) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == l.m.Config.Digest {
		return &layoutBlob{path: l.path, desc: l.m.Config}, nil
	}
	for _, d := range l.m.Layers {
		if d.Digest == h {
			return &layoutBlob{path: l.path, desc: d}, nil
		}
	}
	return nil, fmt.Errorf("blob %s not in manifest", h)
}

// layoutBlob is one blob of a layoutTar.
type layoutBlob struct {
	path string
	desc v1.Descriptor
}

func (b *layoutBlob) Digest() (v1.Hash, error)            { return b.desc.Digest, nil }
func (b *layoutBlob) Size() (int64, error)                { return b.desc.Size, nil }
func (b *layoutBlob) MediaType() (types.MediaType, error) { return b.desc.MediaType, nil }
func (b *layoutBlob) Descriptor() (*v1.Descriptor, error) { d := b.desc; return &d, nil }
func (b *layoutBlob) Compressed() (io.ReadCloser, error) {
	return tarEntry(b.path, blobName(b.desc.Digest))
}
