package sbom

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-containerregistry/pkg/crane"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"dagger/immutable/internal/memregistry"
	"dagger/immutable/lockfile"
)

const testLock = `{
  "name": "app", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "app", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}},
    "node_modules/ms": {"version": "2.1.3", "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==", "license": "MIT"},
    "node_modules/@scope/pkg": {"version": "1.2.3", "license": "(MIT OR Apache-2.0)"},
    "node_modules/a/node_modules/ms": {"version": "2.1.3", "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==", "license": "MIT"},
    "node_modules/a": {"version": "0.1.0", "license": "SEE LICENSE IN LICENSE.txt"},
    "node_modules/eslint": {"version": "10.15.0", "dev": true, "license": "MIT"},
    "node_modules/fsevents": {"version": "2.3.3", "devOptional": true, "optional": true},
    "node_modules/alias": {"name": "lodash", "version": "4.17.15"}
  }
}`

const libcStanza = `Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u7
Description: GNU C Library
 continuation line
`

// testImage is an image with the runtime base's dpkg layout (status.d) in
// one layer, a Debian-style status file in the next and the given labels.
func testImage(t *testing.T, labels map[string]string) v1.Image {
	t.Helper()
	l1, err := crane.Layer(map[string][]byte{
		"var/lib/dpkg/status.d/libc6":         []byte(libcStanza),
		"var/lib/dpkg/status.d/libc6.md5sums": []byte("0123 usr/lib/x\n"),
		"var/lib/dpkg/status.d/base-files":    []byte("Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u15\n"),
		"etc/os-release":                      []byte("ID=immutable-node-runtime\nVERSION_ID=\"12\"\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	l2, err := crane.Layer(map[string][]byte{
		"var/lib/dpkg/status": []byte("Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib (1:1.2.13.dfsg-1)\nVersion: 1:1.2.13.dfsg-1\n\n" +
			"Package: removed\nStatus: deinstall ok config-files\nVersion: 1.0\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l1, l2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Labels = labels
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var testLabels = map[string]string{
	"org.opencontainers.image.created": "2024-01-01T00:00:00Z",
	"org.opencontainers.image.version": "1.2.3",
}

func generate(t *testing.T, img v1.Image) ([]byte, *cdx.BOM) {
	t.Helper()
	deps, err := lockfile.ParseKind(lockfile.NPM, map[string][]byte{"package-lock.json": []byte(testLock)})
	if err != nil {
		t.Fatal(err)
	}
	bom, err := Generate(img, deps, Options{Name: "localhost:5000/app"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := JSON(bom)
	if err != nil {
		t.Fatal(err)
	}
	return b, bom
}

func TestGenerate(t *testing.T) {
	img := testImage(t, testLabels)
	_, bom := generate(t, img)
	got := map[string]cdx.Component{}
	for _, c := range *bom.Components {
		got[c.PackageURL] = c
	}
	want := []string{
		"pkg:npm/ms@2.1.3",
		"pkg:npm/%40scope/pkg@1.2.3",
		"pkg:npm/a@0.1.0",
		"pkg:npm/fsevents@2.3.3",
		"pkg:npm/lodash@4.17.15",
		"pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12&upstream=glibc",
		"pkg:deb/debian/base-files@12.4%2Bdeb12u15?arch=amd64&distro=debian-12",
		"pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib",
	}
	for _, p := range want {
		if _, ok := got[p]; !ok {
			t.Errorf("missing component %s", p)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d components, want %d: %v", len(got), len(want), got)
	}
	ms := got["pkg:npm/ms@2.1.3"]
	if ms.Hashes == nil || (*ms.Hashes)[0].Algorithm != cdx.HashAlgoSHA512 ||
		(*ms.Hashes)[0].Value != "e85973b9b4cb646dc9d9afcd542025784863ceae68c601f268253dc985ef70bb2fa1568726afece715c8ebf5d73fab73ed1f7100eb479d23bfb57b45dd645394" {
		t.Errorf("ms hashes = %+v", ms.Hashes)
	}
	if ms.Licenses == nil || (*ms.Licenses)[0].License.ID != "MIT" {
		t.Errorf("ms licenses = %+v", ms.Licenses)
	}
	if l := got["pkg:npm/%40scope/pkg@1.2.3"].Licenses; l == nil || (*l)[0].Expression != "(MIT OR Apache-2.0)" {
		t.Errorf("@scope/pkg licenses = %+v", l)
	}
	if l := got["pkg:npm/a@0.1.0"].Licenses; l == nil || (*l)[0].License.Name != "SEE LICENSE IN LICENSE.txt" {
		t.Errorf("a licenses = %+v", l)
	}
	if n := got["pkg:npm/%40scope/pkg@1.2.3"].Name; n != "@scope/pkg" {
		t.Errorf("scoped name = %q", n)
	}
	d, _ := img.Digest()
	m := bom.Metadata
	if m.Timestamp != "2024-01-01T00:00:00Z" || m.Component.Version != "1.2.3" || m.Component.Name != "localhost:5000/app" ||
		(*m.Component.Hashes)[0].Value != d.Hex || m.Component.Type != cdx.ComponentTypeContainer {
		t.Errorf("metadata = %+v, component %+v", m, m.Component)
	}
	if !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") || len(bom.SerialNumber) != len("urn:uuid:")+36 {
		t.Errorf("serialNumber = %q", bom.SerialNumber)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	img := testImage(t, testLabels)
	a, _ := generate(t, img)
	b, _ := generate(t, testImage(t, testLabels))
	if !bytes.Equal(a, b) {
		t.Fatalf("same image gave different SBOMs:\n%s\n%s", a, b)
	}
	other := testImage(t, map[string]string{"org.opencontainers.image.created": "2024-01-01T00:00:00Z", "org.opencontainers.image.version": "1.2.4"})
	_, b1 := generate(t, img)
	_, b2 := generate(t, other)
	if b1.SerialNumber == b2.SerialNumber {
		t.Errorf("different images share serialNumber %s", b1.SerialNumber)
	}
	if _, err := Decode(a); err != nil {
		t.Errorf("Decode(JSON(bom)): %v", err)
	}
	if !bytes.Contains(a, []byte(`"specVersion": "1.6"`)) {
		t.Errorf("not CycloneDX 1.6:\n%.300s", a)
	}
}

func TestTimestampFallbacks(t *testing.T) {
	epoch := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		name    string
		labels  map[string]string
		created time.Time
		want    string
	}{
		{"label", map[string]string{labelCreated: "2024-01-01T00:00:00Z"}, epoch, "2024-01-01T00:00:00Z"},
		{"option", nil, epoch, "2023-11-14T22:13:20Z"},
		{"config", nil, time.Time{}, "0001-01-01T00:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := timestamp(tc.labels, tc.created, time.Time{}); got != tc.want {
				t.Errorf("timestamp = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDetectDistro(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files imageFiles
		pkgs  []debPackage
		want  string
	}{
		{"os-release debian", imageFiles{"etc/os-release": []byte("ID=debian\nVERSION_ID=\"12\"\n")}, nil, "debian-12"},
		{"base-files", imageFiles{"etc/os-release": []byte("ID=immutable\n")}, []debPackage{{Name: "base-files", Version: "12.4+deb12u15"}}, "debian-12"},
		{"unknown", imageFiles{}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := detectDistro(tc.files, tc.pkgs); got != tc.want {
				t.Errorf("detectDistro = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAttachFetch(t *testing.T) {
	repo := memregistry.Repo(t, "app")
	ctx := context.Background()
	img := testImage(t, testLabels)
	d, _ := img.Digest()
	bom, _ := generate(t, img)

	if _, err := Fetch(ctx, repo, d.String()); err == nil {
		t.Fatal("Fetch before Push succeeded")
	}
	a, err := NewArtifact(d.String(), bom)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Push(ctx, repo); err != nil {
		t.Fatal(err)
	}
	got := a.Digest
	// Pushing the same bytes again changes nothing.
	if err := a.Push(ctx, repo); err != nil {
		t.Errorf("second Push = %v", err)
	}
	tag, _ := Tag(d.String())
	if want := "sha256-" + d.Hex + ".sbom"; tag != want {
		t.Errorf("Tag = %s, want %s", tag, want)
	}
	desc, err := crane.Head(repo.Tag(tag).String())
	if err != nil || desc.Digest != got {
		t.Errorf("HEAD %s = %v, %v; want %s", tag, desc, err, got)
	}
	back, err := Fetch(ctx, repo, d.String())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, bom) {
		t.Error("Fetch returned different bytes")
	}
	raw, err := crane.Manifest(repo.Tag(tag).String())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"artifactType":"application/vnd.cyclonedx+json"`, `"mediaType":"application/vnd.cyclonedx+json"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("manifest lacks %s: %s", want, raw)
		}
	}
}
