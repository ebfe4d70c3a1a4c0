// Package artifact packages one document (a release record, an SBOM) as an
// OCI artifact: an empty config, the document as the single layer, and a
// manifest whose artifactType is the document's media type. It writes such
// an artifact by digest and reads the document back with its digest checked.
package artifact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// EmptyConfigMediaType is the OCI "empty" config every artifact here uses.
const EmptyConfigMediaType = "application/vnd.oci.empty.v1+json"

// Artifact is a document packaged as an OCI artifact, ready to write. It
// implements remote.Taggable, so once written it can be tagged.
type Artifact struct {
	// Digest is the manifest's digest.
	Digest   v1.Hash
	manifest []byte
	blobs    []v1.Layer
}

var _ remote.Taggable = (*Artifact)(nil)

// New packages body (of media type mediaType) with the given manifest
// annotations. It does no I/O: the same inputs give the same Digest.
func New(mediaType string, body []byte, annotations map[string]string) (*Artifact, error) {
	a := &Artifact{blobs: []v1.Layer{
		static.NewLayer([]byte("{}"), EmptyConfigMediaType),
		static.NewLayer(body, types.MediaType(mediaType)),
	}}
	var descs []v1.Descriptor
	for _, l := range a.blobs {
		d, _ := l.Digest() // static layers cannot fail
		sz, _ := l.Size()
		mt, _ := l.MediaType()
		descs = append(descs, v1.Descriptor{MediaType: mt, Size: sz, Digest: d})
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  mediaType,
		Config:        descs[0],
		Layers:        descs[1:],
		Annotations:   annotations,
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding artifact manifest: %w", err)
	}
	a.manifest = b
	a.Digest, _, err = v1.SHA256(bytes.NewReader(b))
	return a, err
}

// RawManifest implements remote.Taggable.
func (a *Artifact) RawManifest() ([]byte, error) { return a.manifest, nil }

// MediaType implements remote.Taggable (and remote.Put's media typer).
func (a *Artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// Write uploads the blobs, then the manifest by digest. It tags nothing, so
// a write cut short leaves only unreferenced blobs behind.
func (a *Artifact) Write(repo name.Repository, opts ...remote.Option) error {
	for _, l := range a.blobs {
		if err := remote.WriteLayer(repo, l, opts...); err != nil {
			return fmt.Errorf("uploading to %s: %w", repo, err)
		}
	}
	if err := remote.Put(repo.Digest(a.Digest.String()), a, opts...); err != nil {
		return fmt.Errorf("writing manifest to %s: %w", repo, err)
	}
	return nil
}

// Read fetches the artifact ref names and returns its first layer whose
// media type starts with mediaType, refusing one larger than max bytes. The
// layer's digest is checked while reading.
func Read(ref name.Reference, mediaType string, max int64, opts ...remote.Option) ([]byte, error) {
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("%s: decoding manifest: %w", ref, err)
	}
	for _, l := range m.Layers {
		if !strings.HasPrefix(string(l.MediaType), mediaType) {
			continue
		}
		if l.Size > max {
			return nil, fmt.Errorf("%s: %d bytes is too large", ref, l.Size)
		}
		blob, err := remote.Layer(ref.Context().Digest(l.Digest.String()), opts...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		rc, err := blob.Compressed() // verifies the digest at EOF
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		defer rc.Close()
		// One byte past max, so a blob of exactly max bytes is read to
		// EOF (where its digest is checked) and a longer one is caught.
		b, err := io.ReadAll(io.LimitReader(rc, max+1))
		if err != nil {
			return nil, fmt.Errorf("%s: reading blob: %w", ref, err)
		}
		if int64(len(b)) > max {
			return nil, fmt.Errorf("%s: blob is larger than %d bytes", ref, max)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%s has no %s layer", ref, mediaType)
}
