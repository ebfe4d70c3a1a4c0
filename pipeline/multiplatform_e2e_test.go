package pipeline_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/attest"
	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
	"dagger/immutable/sign"
)

// multiOptions are a fixture's golden inputs for every platform.
func multiOptions(t *testing.T, fixture string, g golden) pipeline.BuildOptions {
	c := testenv.Client(t)
	o := options(c, testenv.Path("fixtures", fixture), g.Version)
	o.Revision, o.Epoch = g.Revision, time.Unix(g.SourceDateEpoch, 0).UTC()
	o.Platforms = g.MultiPlatform.Platforms
	if fixture != "app" {
		o.Smoke = pipeline.SmokeOptions{}
	}
	return o
}

// TestMultiPlatformGolden: the sample app (pure JS) and an app with a
// prebuilt platform-specific optional dependency build as a two-platform
// image index. Two independent builds give the same index digest, and it
// is the committed golden. Each platform image is its own base plus app
// layers; the pure-JS app's app layers are the same blobs on both
// platforms, the other app's dependency layer holds each platform's own
// prebuilt package and nothing of the other's.
func TestMultiPlatformGolden(t *testing.T) {
	c := testenv.Client(t)
	g := readGolden(t)
	if len(g.MultiPlatform.Platforms) < 2 {
		t.Fatalf("fixtures/golden.json has no multiPlatform digests: run `go run ./ci bases update`")
	}
	for _, fx := range []string{"app", "multiarch"} {
		t.Run(fx, func(t *testing.T) {
			o := multiOptions(t, fx, g)
			verifyGolden(t, o, g.MultiPlatform.Digests[fx])

			b, img, err := pipeline.BuildImage(ctx(t), c, o, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if want := g.MultiPlatform.Digests[fx]; img.Digest != want || len(img.Variants) != 2 {
				t.Fatalf("BuildImage = %s with %d platform images, want %s with 2", img.Digest, len(img.Variants), want)
			}
			amd, arm := img.Variants[0], img.Variants[1]
			for i, want := range []string{"amd64", "arm64"} {
				cf, err := img.Variants[i].Image.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				if cf.Architecture != want || cf.OS != "linux" {
					t.Errorf("platform image %d is %s/%s, want linux/%s", i, cf.OS, cf.Architecture, want)
				}
			}
			al, rl := layerDigests(t, amd.Image), layerDigests(t, arm.Image)
			ab := layerDigests(t, publishedImage(t, b.Platforms[0].RuntimeBase))
			rb := layerDigests(t, publishedImage(t, b.Platforms[1].RuntimeBase))
			if !slices.Equal(al[:len(ab)], ab) || !slices.Equal(rl[:len(rb)], rb) {
				t.Fatalf("platform images do not start with their bases' layers:\namd64 %v\nbase  %v\narm64 %v\nbase  %v", al, ab, rl, rb)
			}
			if slices.Equal(ab, rb) {
				t.Fatal("amd64 and arm64 bases have the same layers")
			}
			appA, appR := al[len(ab):], rl[len(rb):]
			if len(appA) != len(appR) || len(appA) < 2 {
				t.Fatalf("app layers: amd64 %d, arm64 %d", len(appA), len(appR))
			}
			if fx == "app" {
				if !slices.Equal(appA, appR) {
					t.Errorf("pure-JS app layers differ between platforms:\namd64 %v\narm64 %v", appA, appR)
				}
				return
			}
			// The dependency layer (first after the base) differs; the app
			// files layer is shared.
			if appA[0] == appR[0] {
				t.Errorf("dependency layer is the same on both platforms (%s): the prebuilt binding was not chosen per platform", appA[0])
			}
			if !slices.Equal(appA[1:], appR[1:]) {
				t.Errorf("app file layers differ between platforms:\namd64 %v\narm64 %v", appA[1:], appR[1:])
			}
			const x64, a64 = "app/node_modules/@node-rs/crc32-linux-x64-gnu/", "app/node_modules/@node-rs/crc32-linux-arm64-gnu/"
			for _, tc := range []struct {
				img       v1.Image
				layer     int
				has, hasn string
			}{{amd.Image, len(ab), x64, a64}, {arm.Image, len(rb), a64, x64}} {
				files := layerFiles(t, tc.img, tc.layer)
				if !hasPrefix(files, tc.has) || hasPrefix(files, tc.hasn) || hasPrefix(files, "app/node_modules/@node-rs/crc32-linux-arm64-musl/") {
					t.Errorf("dependency layer: want %s and not %s nor musl; has %d files", tc.has, tc.hasn, len(files))
				}
			}
		})
	}
}

// TestMultiPlatformPnpm: a pnpm project's platform-specific package is
// installed per platform too (pnpm 10.14+), and the build is reproducible.
func TestMultiPlatformPnpm(t *testing.T) {
	c := testenv.Client(t)
	g := readGolden(t)
	// fixtures/multiarch's app with the package.json and pnpm-lock.yaml of
	// fixtures/multiarch-pnpm.
	dir := testenv.CopyFixture(t, "multiarch")
	if err := os.Remove(filepath.Join(dir, "package-lock.json")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"package.json", "pnpm-lock.yaml"} {
		b, err := os.ReadFile(testenv.Path("fixtures", "multiarch-pnpm", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := multiOptions(t, "multiarch", g)
	o.Source = c.Host().Directory(dir)
	report, err := pipeline.Verify(ctx(t), c, o, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !report.Equal {
		var out strings.Builder
		report.Format(&out)
		t.Fatalf("pnpm multi-platform builds differ:\n%s", out.String())
	}
	b, img, err := pipeline.BuildImage(ctx(t), c, o, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const pnpmDir = "app/node_modules/.pnpm/"
	for i, tc := range []struct{ has, hasn string }{
		{pnpmDir + "@node-rs+crc32-linux-x64-gnu@", pnpmDir + "@node-rs+crc32-linux-arm64-gnu@"},
		{pnpmDir + "@node-rs+crc32-linux-arm64-gnu@", pnpmDir + "@node-rs+crc32-linux-x64-gnu@"},
	} {
		v := img.Variants[i]
		files := layerFiles(t, v.Image, len(layerDigests(t, publishedImage(t, b.Platforms[i].RuntimeBase))))
		if !hasPrefix(files, tc.has) || hasPrefix(files, tc.hasn) {
			t.Errorf("%s dependency layer: want %s… and not %s…", v.Platform, tc.has, tc.hasn)
		}
	}
}

// TestMultiPlatformRelease releases the platform-specific fixture for both
// platforms: tags name the index, the arm64 smoke test is reported as not
// run (never passed), each platform image has its SBOM referrers and the
// index its provenance, the same release again is a no-op, and an app
// with a compiled addon is refused before building, naming the package.
func TestMultiPlatformRelease(t *testing.T) {
	c := testenv.Client(t)
	g := readGolden(t)
	repo := fmt.Sprintf("%s/e2e-multi-%d", testenv.Registry(t), time.Now().UnixNano())
	o := multiOptions(t, "multiarch", g)
	o.Version = "2.0.0"
	const pw = "multi-platform"
	priv, pub, err := sign.GenerateKeyPair([]byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	ro := pipeline.ReleaseOptions{Build: o, Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir(), SigningKey: priv, SigningPassword: []byte(pw)}
	r, err := pipeline.Release(ctx(t), c, ro)
	var out strings.Builder
	if r != nil {
		r.Format(&out)
	}
	t.Log(out.String())
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	tags := testenv.Tags(t, repo)
	if tags["v2.0.0"] != r.Digest || tags["latest"] != r.Digest {
		t.Fatalf("tags %v, want v2.0.0 and latest at the index %s", tags, r.Digest)
	}
	ref, _ := name.NewDigest(repo + "@" + r.Digest)
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("the release is not an image index: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 || im.Manifests[1].Platform.Architecture != "arm64" {
		t.Fatalf("index lists %+v, want amd64 and arm64", im.Manifests)
	}
	if !strings.Contains(out.String(), "smoke linux/arm64") || !strings.Contains(out.String(), "not run (no linux/arm64 runner)") {
		t.Errorf("report does not say the arm64 smoke test was not run:\n%s", out.String())
	}
	rec := r.Result.Record
	if len(rec.Platforms) != 2 || rec.Platforms[0].Smoke != "passed" || rec.Platforms[1].Smoke != "not run (no linux/arm64 runner)" {
		t.Errorf("record platforms = %+v, want amd64 passed and arm64 not run", rec.Platforms)
	}
	for _, m := range im.Manifests {
		a, err := attest.List(ctx(t), ref.Context(), m.Digest.String())
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Of(attest.ArtifactCycloneDX)) != 1 || len(a.Of(attest.ArtifactSPDX)) != 1 {
			t.Errorf("%s image %s has referrers %v, want one CycloneDX and one SPDX SBOM", m.Platform.Architecture, m.Digest, a.Kinds())
		}
	}
	a, err := attest.List(ctx(t), ref.Context(), r.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Of(attest.ArtifactProvenance)) != 1 {
		t.Errorf("index has referrers %v, want the provenance", a.Kinds())
	}

	chk, err := pipeline.VerifyRelease(ctx(t), pipeline.Registry{}, repo+":v2.0.0", pub)
	if err != nil || chk.Err() != nil || chk.Digest != r.Digest {
		var b strings.Builder
		if chk != nil {
			chk.Format(&b)
		}
		t.Errorf("VerifyRelease of the index: %v\n%s", err, b.String())
	}

	ro.WorkDir = t.TempDir()
	again, err := pipeline.Release(ctx(t), c, ro)
	if err != nil || !again.Result.AlreadyReleased || again.Digest != r.Digest {
		t.Errorf("same release again: err %v, report %+v; want already released as %s", err, again, r.Digest)
	}

	// A newer index, then a rollback: floating tags move back to the
	// 2.0.0 index, and the history lists both releases.
	changed := testenv.CopyFixture(t, "multiarch")
	replaceIn(t, changed+"/server.js", "checksum-service listening", "checksum-service 2.1 listening")
	o21 := multiOptions(t, "multiarch", g)
	o21.Source, o21.Version = c.Host().Directory(changed), "2.1.0"
	r21, err := pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{Build: o21, Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir()})
	if err != nil || r21.Digest == r.Digest {
		t.Fatalf("release 2.1.0: %v (digest %s, 2.0.0's %s)", err, r21.Digest, r.Digest)
	}
	if _, err := pipeline.Rollback(ctx(t), pipeline.Registry{Repo: repo}, "2.0.0"); err != nil {
		t.Fatalf("rollback to the 2.0.0 index: %v", err)
	}
	tags = testenv.Tags(t, repo)
	if tags["latest"] != r.Digest || tags["v2"] != r.Digest || tags["v2.1.0"] != r21.Digest {
		t.Errorf("after rollback: latest %s, v2 %s, v2.1.0 %s; want 2.0.0's index %s and 2.1.0 kept at %s", tags["latest"], tags["v2"], tags["v2.1.0"], r.Digest, r21.Digest)
	}
	h, err := pipeline.Releases(ctx(t), pipeline.Registry{Repo: repo})
	if err != nil || len(h.Releases) != 2 || len(h.Rollbacks) != 1 {
		t.Errorf("Releases after rollback: %v, %+v; want 2 releases and 1 rollback", err, h)
	}

	native := options(c, testenv.Path("fixtures", "native-addon"), "1.0.0")
	native.Platforms = g.MultiPlatform.Platforms
	_, err = pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{Build: native, Registry: pipeline.Registry{Repo: repo + "-native"}, WorkDir: t.TempDir()})
	if !errors.Is(err, pipeline.ErrNativeCrossBuild) || !strings.Contains(err.Error(), "native-addon-demo") || !strings.Contains(err.Error(), "bufferutil") || !strings.Contains(err.Error(), "nothing was published") {
		t.Errorf("multi-platform release of a compiled addon: err = %v, want ErrNativeCrossBuild naming the package, nothing published", err)
	}
}

func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Hash
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// layerFiles lists the names in img's i-th layer (imageFiles of an image
// of that layer alone).
func layerFiles(t *testing.T, img v1.Image, i int) []string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	one, err := mutate.AppendLayers(empty.Image, ls[i])
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range imageFiles(t, one) {
		names = append(names, strings.TrimPrefix(n, "./"))
	}
	return names
}

func hasPrefix(names []string, prefix string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, prefix) })
}
