package sbom

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/package-url/packageurl-go"

	"dagger/immutable/lockfile"
)

// Label keys Generate reads from the image config.
const (
	labelCreated = "org.opencontainers.image.created"
	labelVersion = "org.opencontainers.image.version"
	labelTitle   = "org.opencontainers.image.title"
)

// ToolName names this generator in metadata.tools.
const ToolName = "immutable-sbom"

// Options describe the image an SBOM is for. The zero value is usable.
type Options struct {
	// Name is the image name for metadata.component, e.g.
	// localhost:5000/hello-immutable. The default is the
	// org.opencontainers.image.title label, else "image".
	Name string
	// Version overrides the org.opencontainers.image.version label.
	Version string
	// Created is the timestamp when the image has no
	// org.opencontainers.image.created label. The default is the config's
	// created time.
	Created time.Time
	// Distro is the Debian release for deb purls, e.g. "debian-12". The
	// default is detected: /etc/os-release (ID=debian), else the major
	// version of the base-files package.
	Distro string
}

// Generate returns the CycloneDX SBOM of img with the production
// dependencies of deps (read from package-lock.json, yarn.lock or
// pnpm-lock.yaml by package lockfile; nil lists none) and the Debian
// packages in the image's dpkg status.
func Generate(img v1.Image, deps *lockfile.Graph, o Options) (*cdx.BOM, error) {
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("sbom: image digest: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("sbom: image config: %w", err)
	}
	labels := cf.Config.Labels
	var comps []cdx.Component
	if deps != nil {
		comps = append(comps, npmComponents(deps)...)
	}
	fsys, err := readImageFiles(img)
	if err != nil {
		return nil, err
	}
	debs, err := debComponents(fsys, o.Distro)
	if err != nil {
		return nil, err
	}
	comps = append(comps, debs...)
	comps = dedupe(comps)

	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.JSONSchema = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	bom.SerialNumber = serialNumber(digest.String())
	bom.Metadata = &cdx.Metadata{
		Timestamp: timestamp(labels, o.Created, cf.Created.Time),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: ToolName,
		}}},
		Component: imageComponent(o, labels, digest),
	}
	bom.Components = &comps
	return bom, nil
}

// JSON encodes bom as indented CycloneDX JSON with a trailing newline.
func JSON(bom *cdx.BOM) ([]byte, error) {
	var b bytes.Buffer
	enc := cdx.NewBOMEncoder(&b, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false)
	if err := enc.Encode(bom); err != nil {
		return nil, fmt.Errorf("sbom: encoding: %w", err)
	}
	return b.Bytes(), nil
}

// Decode parses CycloneDX JSON.
func Decode(b []byte) (*cdx.BOM, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, fmt.Errorf("sbom: decoding: %w", err)
	}
	return &bom, nil
}

// serialNumber is a name-based UUID (version 5 layout, SHA-256 truncated)
// of the image digest: stable per image, distinct between images.
func serialNumber(digest string) string {
	h := sha256.Sum256([]byte("dev.immutable.sbom:" + digest))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func timestamp(labels map[string]string, created, config time.Time) string {
	if s := labels[labelCreated]; s != "" {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	if !created.IsZero() {
		return created.UTC().Format(time.RFC3339)
	}
	return config.UTC().Format(time.RFC3339)
}

func imageComponent(o Options, labels map[string]string, digest v1.Hash) *cdx.Component {
	name := o.Name
	if name == "" {
		name = labels[labelTitle]
	}
	if name == "" {
		name = "image"
	}
	version := o.Version
	if version == "" {
		version = labels[labelVersion]
	}
	// pkg:oci/<last path element>@sha256:…?repository_url=<name> (purl spec).
	base := name[strings.LastIndex(name, "/")+1:]
	var q packageurl.Qualifiers
	if strings.Contains(name, "/") {
		q = packageurl.QualifiersFromMap(map[string]string{"repository_url": name})
	}
	purl := packageurl.NewPackageURL("oci", "", base, digest.String(), q, "").ToString()
	return &cdx.Component{
		BOMRef:     purl,
		Type:       cdx.ComponentTypeContainer,
		Name:       name,
		Version:    version,
		PackageURL: purl,
		Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: digest.Hex}},
	}
}

// dedupe sorts components by purl and drops repeats (npm installs the
// same name@version at several paths).
func dedupe(in []cdx.Component) []cdx.Component {
	sort.SliceStable(in, func(i, j int) bool { return in[i].PackageURL < in[j].PackageURL })
	out := in[:0]
	for i, c := range in {
		if i > 0 && c.PackageURL == in[i-1].PackageURL {
			continue
		}
		out = append(out, c)
	}
	return out
}
