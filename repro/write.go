package repro

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// WriteOCITarball writes img to path as a tarred OCI image layout
// (oci-layout, index.json, blobs/sha256/...) plus a docker-style
// manifest.json, the same shape containerd's exporter gives Dagger's
// Container.AsTarball. Dagger's Container.Import (containerd's
// archive.ImportIndex) prefers the OCI layout when oci-layout is present and
// falls back to manifest.json; docker load and LoadTarball read it too.
//
// The index entry carries the image's platform (from its config) so Import
// can match it; it has no ref name, so import it without a tag. Entries are
// sorted and dated at the Unix epoch: the same image gives the same bytes.
// The file is written next to path and renamed into place.
func WriteOCITarball(img v1.Image, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".oci-*.tar")
	if err != nil {
		return fmt.Errorf("write oci tarball: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := writeOCITar(img, tmp); err != nil {
		return fmt.Errorf("write oci tarball %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write oci tarball %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write oci tarball: %w", err)
	}
	return nil
}

// tarFile is one entry to write: small ones carry data, blobs an opener.
type tarFile struct {
	name string
	size int64
	data []byte
	open func() (io.ReadCloser, error)
}

func writeOCITar(img v1.Image, w io.Writer) error {
	rawManifest, err := img.RawManifest()
	if err != nil {
		return err
	}
	mt, err := img.MediaType()
	if err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	rawConfig, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}

	desc := v1.Descriptor{MediaType: mt, Digest: digest, Size: int64(len(rawManifest))}
	if cf.OS != "" && cf.Architecture != "" {
		desc.Platform = &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion}
	}
	index, err := json.Marshal(v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests:     []v1.Descriptor{desc},
	})
	if err != nil {
		return err
	}

	files := map[string]tarFile{}
	add := func(f tarFile) { files[f.name] = f }
	add(tarFile{name: "oci-layout", data: []byte(`{"imageLayoutVersion":"1.0.0"}`)})
	add(tarFile{name: "index.json", data: index})
	add(tarFile{name: blobName(digest), data: rawManifest})
	add(tarFile{name: blobName(m.Config.Digest), data: rawConfig})

	layers, err := img.Layers()
	if err != nil {
		return err
	}
	docker := []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}{{Config: blobName(m.Config.Digest), RepoTags: []string{}}}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		size, err := l.Size()
		if err != nil {
			return err
		}
		add(tarFile{name: blobName(d), size: size, open: l.Compressed})
		docker[0].Layers = append(docker[0].Layers, blobName(d))
	}
	dm, err := json.Marshal(docker)
	if err != nil {
		return err
	}
	add(tarFile{name: "manifest.json", data: dm})

	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)

	tw := tar.NewWriter(w)
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	for _, n := range names {
		f := files[n]
		size := f.size
		if f.open == nil {
			size = int64(len(f.data))
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Size: size, Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
			return err
		}
		if f.open == nil {
			if _, err := tw.Write(f.data); err != nil {
				return err
			}
			continue
		}
		if err := copyBlob(tw, f); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
	}
	return tw.Close()
}

func copyBlob(w io.Writer, f tarFile) error {
	rc, err := f.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(w, rc)
	if err != nil {
		return err
	}
	if n != f.size {
		return fmt.Errorf("blob is %d bytes, descriptor says %d", n, f.size)
	}
	return nil
}
