package repro

import (
	"fmt"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"golang.org/x/sync/errgroup"
)

// Normalize returns img made reproducible for epoch.
//
// The config's created time and every history entry's created time become
// epoch (truncated to the second, UTC) and the build container id is
// cleared. Every layer above the skipped base layers (SkipLayers, Base) is
// rewritten: entries sorted by name and de-duplicated (last wins, as on
// extraction), names canonical ("app/x", "app/"), mtimes set to (or clamped
// at, see Times) epoch, atime/ctime and all PAX records except xattrs
// dropped, permission bits only in the mode, numeric uid/gid kept (or
// forced with Owner), user/group names dropped, PAX format, gzip by
// klauspost/compress at a fixed level (CompressionLevel), media type the
// gzip layer type of the manifest's family (OCI or Docker). Hard links point at
// the first name of their group in sorted order. Entries matching Remove
// patterns are dropped.
//
// Base layers keep their content byte for byte (same diff_ids) and are only
// recompressed the same way: an exported image's base layers carry
// whatever gzip the Dagger engine's Go wrote (so the engine's toolchain
// would be part of the digest); recompressed here they do not depend on
// it, and for the project's own bases, compressed the same way, they are
// the very blobs the registry holds, so a push mounts them instead of
// uploading. Labels and manifest annotations
// are kept as they are; the caller sets org.opencontainers.image.created
// from the same epoch.
//
// Every history entry loses created_by, author and comment: Dagger writes
// its own operation names there, for the base's layers too, and they change
// when it replays an operation from its cache ("rehydrated persisted
// snapshot" instead of "Directory.withDirectory" or "import image layer
// sha256:…").
//
// The config is re-encoded through v1.ConfigFile, as mutate.Time does:
// fields go-containerregistry does not model are dropped.
func Normalize(img v1.Image, epoch time.Time, opts ...Option) (v1.Image, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	epoch = epoch.UTC().Truncate(time.Second)

	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("normalize: reading layers: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("normalize: reading manifest: %w", err)
	}
	if len(m.Layers) != len(layers) {
		return nil, fmt.Errorf("normalize: manifest has %d layers, image %d", len(m.Layers), len(layers))
	}
	skip := o.skip
	if o.base != nil {
		if skip, err = sharedPrefix(o.base, img); err != nil {
			return nil, err
		}
	}
	if skip > len(layers) {
		return nil, fmt.Errorf("normalize: skipping %d layers of %d", skip, len(layers))
	}

	mt, err := img.MediaType()
	if err != nil {
		return nil, fmt.Errorf("normalize: reading media type: %w", err)
	}
	lmt := layerMediaType(mt)

	out := make([]v1.Layer, len(layers))
	var g errgroup.Group
	g.SetLimit(runtime.NumCPU())
	for i, l := range layers {
		if i < skip {
			g.Go(func() error {
				nl, err := recompressLayer(l, m.Layers[i].MediaType, o.level)
				if err != nil {
					return fmt.Errorf("normalize: base layer %d: %w", i, err)
				}
				out[i] = nl
				return nil
			})
			continue
		}
		g.Go(func() error {
			nl, err := normalizeLayer(l, lmt, epoch, o)
			if err != nil {
				return fmt.Errorf("normalize: layer %d: %w", i, err)
			}
			out[i] = nl
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("normalize: reading config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: epoch}
	cf.Container = ""
	for i := range cf.History {
		cf.History[i].Created = v1.Time{Time: epoch}
	}
	clearHistoryText(cf.History)
	cf.RootFS.Type = "layers"
	cf.RootFS.DiffIDs = make([]v1.Hash, len(out))
	for i, l := range out {
		if cf.RootFS.DiffIDs[i], err = l.DiffID(); err != nil {
			return nil, fmt.Errorf("normalize: layer %d diff_id: %w", i, err)
		}
	}

	res := mutate.MediaType(empty.Image, mt)
	res = mutate.ConfigMediaType(res, m.Config.MediaType)
	adds := make([]mutate.Addendum, len(out))
	for i, l := range out {
		adds[i] = mutate.Addendum{Layer: l}
		if i < skip {
			// Keep the base's descriptor as published.
			adds[i].MediaType = m.Layers[i].MediaType
			adds[i].Annotations = m.Layers[i].Annotations
			adds[i].URLs = m.Layers[i].URLs
		}
	}
	if res, err = mutate.Append(res, adds...); err != nil {
		return nil, fmt.Errorf("normalize: appending layers: %w", err)
	}
	if res, err = mutate.ConfigFile(res, cf); err != nil {
		return nil, fmt.Errorf("normalize: setting config: %w", err)
	}
	if len(m.Annotations) > 0 {
		res = mutate.Annotations(res, m.Annotations).(v1.Image)
	}
	return res, nil
}

// sharedPrefix returns the number of base layers, checking that img starts
// with them.
func sharedPrefix(base, img v1.Image) (int, error) {
	bcf, err := base.ConfigFile()
	if err != nil {
		return 0, fmt.Errorf("normalize: reading base config: %w", err)
	}
	icf, err := img.ConfigFile()
	if err != nil {
		return 0, fmt.Errorf("normalize: reading config: %w", err)
	}
	b, i := bcf.RootFS.DiffIDs, icf.RootFS.DiffIDs
	if len(b) > len(i) {
		return 0, fmt.Errorf("normalize: base has %d layers, image only %d", len(b), len(i))
	}
	for n := range b {
		if b[n] != i[n] {
			return 0, fmt.Errorf("normalize: image is not built on base: layer %d diff_id %s, base has %s", n, i[n], b[n])
		}
	}
	return len(b), nil
}

// clearHistoryText empties created_by, author and comment of every history
// entry.
func clearHistoryText(history []v1.History) {
	for i := range history {
		history[i].CreatedBy, history[i].Author, history[i].Comment = "", "", ""
	}
}
