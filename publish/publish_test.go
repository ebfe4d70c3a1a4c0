package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/testenv"
)

func TestPublishOrder(t *testing.T) {
	repo := newRegistry(t, nil)
	o := testOptions()
	img100, img110, img101 := testImage(t, 100), testImage(t, 110), testImage(t, 101)
	d100, d110, d101 := digestOf(t, img100), digestOf(t, img110), digestOf(t, img101)

	var log bytes.Buffer
	o.Log = &log
	r100 := mustPublish(t, repo, img100, "1.0.0", o)
	o.Log = nil
	if !strings.Contains(log.String(), "==> publish: released v1.0.0") {
		t.Errorf("log lacks the release line:\n%s", log.String())
	}
	r110 := mustPublish(t, repo, img110, "v1.1.0", o)
	r101 := mustPublish(t, repo, img101, "1.0.1", o)

	want := map[string]string{
		"v1.0.0": d100, "v1.1.0": d110, "v1.0.1": d101,
		"v1.0": d101, "v1.1": d110, "v1": d110, "latest": d110,
	}
	all := testenv.Tags(t, repo)
	if got := withoutRecords(all); !equalMaps(got, want) {
		t.Errorf("tags = %v, want %v", got, want)
	}
	var records []string
	for tag := range all {
		if strings.Contains(tag, "_") {
			records = append(records, tag)
		}
	}
	slices.Sort(records)
	if wantRec := []string{"v1.0.0_release", "v1.0.1_release", "v1.1.0_release"}; !slices.Equal(records, wantRec) {
		t.Errorf("record tags = %v, want %v", records, wantRec)
	}

	for _, tc := range []struct {
		res       *Result
		wantMoved []string
		wantKept  []string
	}{
		{r100, []string{"v1.0", "v1", "latest"}, nil},
		{r110, []string{"v1.1", "v1", "latest"}, nil},
		{r101, []string{"v1.0"}, []string{"latest", "v1"}},
	} {
		if !slices.Equal(tc.res.Moved, tc.wantMoved) {
			t.Errorf("%s: Moved = %v, want %v", tc.res.Version, tc.res.Moved, tc.wantMoved)
		}
		kept := slices.Sorted(func(yield func(string) bool) {
			for k := range tc.res.Kept {
				if !yield(k) {
					return
				}
			}
		})
		if !slices.Equal(kept, tc.wantKept) {
			t.Errorf("%s: Kept = %v, want tags %v", tc.res.Version, tc.res.Kept, tc.wantKept)
		}
	}
	if got := r101.Kept["v1"]; got != "stays at 1.1.0 (newer than 1.0.1)" {
		t.Errorf("1.0.1: Kept[v1] = %q", got)
	}
	for _, want := range []string{"released v1.0.1: " + repo + "@" + d101, "moved: v1.0\n", "kept:  v1 stays at 1.1.0 (newer than 1.0.1)", "record: " + repo + ":v1.0.1_release", "deploy: docker run -d --name my-app " + repo + "@" + d101} {
		if got := formatted(r101); !strings.Contains(got, want) {
			t.Errorf("Format lacks %q:\n%s", want, got)
		}
	}
	if r101.Ref != repo+"@"+d101 {
		t.Errorf("Ref = %q, want %q", r101.Ref, repo+"@"+d101)
	}
	if r100.BytesUploaded == 0 || r100.BlobsUploaded != 4 {
		t.Errorf("first release uploaded %d bytes in %d blobs, want > 0 bytes in 4 blobs (3 layers + config)", r100.BytesUploaded, r100.BlobsUploaded)
	}

	// The stored record matches the returned one.
	c, err := newClient(context.Background(), target(t, repo), o)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := c.readRecord("v1.0.1_release")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored.JSON(), r101.Record.JSON()) {
		t.Errorf("stored record = %s, want %s", stored.JSON(), r101.Record.JSON())
	}
	if stored.Kind != KindRelease || stored.Digest != d101 || stored.SourceRevision != "rev-1.0.1" ||
		!slices.Equal(stored.Tags, []string{"v1.0.1", "v1.0"}) || stored.Previous["v1.0"] != d100 {
		t.Errorf("stored record = %+v", stored)
	}
}

func TestRepublishIsNoop(t *testing.T) {
	repo := newRegistry(t, nil)
	o := testOptions()
	img := testImage(t, 1)
	mustPublish(t, repo, img, "1.0.0", o)
	before := testenv.Tags(t, repo)

	t.Run("same version same image", func(t *testing.T) {
		res := mustPublish(t, repo, testImage(t, 1), "v1.0.0", o)
		if !res.AlreadyReleased || res.Resumed || len(res.Moved) != 0 {
			t.Errorf("re-release = %+v, want AlreadyReleased and nothing moved", res)
		}
		if res.BytesUploaded != 0 || res.BlobsUploaded != 0 {
			t.Errorf("re-release uploaded %d bytes in %d blobs, want 0", res.BytesUploaded, res.BlobsUploaded)
		}
		if res.Record.Version != "1.0.0" || res.Record.Digest != digestOf(t, img) {
			t.Errorf("re-release record = %+v, want the stored 1.0.0 record", res.Record)
		}
		if after := testenv.Tags(t, repo); !equalMaps(before, after) {
			t.Errorf("tags changed: %v -> %v", before, after)
		}
	})
	t.Run("same image new version uploads nothing", func(t *testing.T) {
		res := mustPublish(t, repo, img, "1.0.1", o)
		if res.BytesUploaded != 0 || res.BlobsUploaded != 0 {
			t.Errorf("uploaded %d bytes in %d blobs, want 0", res.BytesUploaded, res.BlobsUploaded)
		}
		// Its floating tags already point at this digest.
		if len(res.Moved) != 0 || res.Kept["latest"] != "already at "+digestOf(t, img) {
			t.Errorf("Moved = %v, Kept = %v, want nothing moved", res.Moved, res.Kept)
		}
	})
	t.Run("new config same layers uploads only the config", func(t *testing.T) {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf.Config.Env = append(cf.Config.Env, "CHANGED=1")
		img2, err := mutate.ConfigFile(img, cf)
		if err != nil {
			t.Fatal(err)
		}
		cfgSize, err := img2.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		res := mustPublish(t, repo, img2, "1.0.2", o)
		if res.BytesUploaded != cfgSize.Config.Size || res.BlobsUploaded != 1 || res.BlobsSkipped != 3 {
			t.Errorf("uploaded %d bytes in %d blobs, skipped %d; want %d (config only), 1, 3",
				res.BytesUploaded, res.BlobsUploaded, res.BlobsSkipped, cfgSize.Config.Size)
		}
	})
}

func TestChangedImageRefused(t *testing.T) {
	repo := newRegistry(t, nil)
	o := testOptions()
	old := testImage(t, 1)
	mustPublish(t, repo, old, "1.0.0", o)
	before := testenv.Tags(t, repo)

	changed := testImage(t, 2)
	_, err := Publish(context.Background(), target(t, repo), changed, ver(t, "1.0.0"), Record{}, o)
	if err == nil {
		t.Fatal("Publish(changed image as 1.0.0) succeeded, want refusal")
	}
	for _, want := range []string{digestOf(t, old), digestOf(t, changed), "immutable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if after := testenv.Tags(t, repo); !equalMaps(before, after) {
		t.Errorf("tags changed: %v -> %v", before, after)
	}
	ref, _ := name.NewDigest(repo + "@" + digestOf(t, changed))
	if _, err := remote.Head(ref); !isNotFound(err) {
		t.Errorf("refused manifest is in the registry: HEAD %s = %v, want 404", ref, err)
	}
}

func TestPrerelease(t *testing.T) {
	repo := newRegistry(t, nil)
	o := testOptions()
	d1 := digestOf(t, testImage(t, 1))
	mustPublish(t, repo, testImage(t, 1), "1.0.0", o)
	rc := mustPublish(t, repo, testImage(t, 2), "1.1.0-rc.1", o)
	if len(rc.Moved) != 0 || rc.Kept["latest"] != "not moved: 1.1.0-rc.1 is a prerelease" {
		t.Errorf("prerelease moved %v, kept %v", rc.Moved, rc.Kept)
	}
	want := map[string]string{
		"v1.0.0": d1, "v1.1.0-rc.1": digestOf(t, testImage(t, 2)),
		"v1.0": d1, "v1": d1, "latest": d1,
	}
	if got := withoutRecords(testenv.Tags(t, repo)); !equalMaps(got, want) {
		t.Errorf("tags = %v, want %v", got, want)
	}
	// A prerelease never holds floating tags back.
	r := mustPublish(t, repo, testImage(t, 3), "1.0.1", o)
	if !slices.Equal(r.Moved, []string{"v1.0", "v1", "latest"}) {
		t.Errorf("1.0.1 after 1.1.0-rc.1 moved %v, want v1.0 v1 latest", r.Moved)
	}
}

func TestNoTagPrefix(t *testing.T) {
	repo := newRegistry(t, nil)
	o := testOptions()
	o.TagPrefix = new("")
	d := digestOf(t, testImage(t, 1))
	r := mustPublish(t, repo, testImage(t, 1), "v1.2.3", o)
	if r.VersionTag != "1.2.3" || r.RecordTag != "1.2.3_release" {
		t.Errorf("VersionTag, RecordTag = %q, %q", r.VersionTag, r.RecordTag)
	}
	want := map[string]string{"1.2.3": d, "1.2": d, "1": d, "latest": d}
	if got := withoutRecords(testenv.Tags(t, repo)); !equalMaps(got, want) {
		t.Errorf("tags = %v, want %v", got, want)
	}
	h, err := Releases(context.Background(), target(t, repo), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Releases) != 1 || h.Releases[0].Tag != "1.2.3" {
		t.Errorf("Releases = %+v", h.Releases)
	}
	// With the default prefix the bare tags are not versions.
	h, err = Releases(context.Background(), target(t, repo), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Releases) != 0 {
		t.Errorf("Releases with prefix v = %+v, want none", h.Releases)
	}
}

func TestPublishErrors(t *testing.T) {
	repo := newRegistry(t, nil)
	img := testImage(t, 1)
	// Each input is refused where it is parsed: the version once, the
	// repository when the target is made, the prefix by Publish.
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"bad version", func() error { _, err := ParseVersion("1.0"); return err }, "want e.g. 1.4.0 or v1.4.0"},
		{"build metadata", func() error { _, err := ParseVersion("1.0.0+abc"); return err }, "build metadata"},
		{"repo with tag", func() error { _, err := NewTarget(context.Background(), repo+":v1", Access{}); return err }, "want e.g. localhost:5000/my-app"},
		{"bad prefix", func() error {
			_, err := Publish(context.Background(), target(t, repo), img, ver(t, "1.0.0"), Record{}, Options{TagPrefix: new("x_")})
			return err
		}, "reserved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.err(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
			}
		})
	}
	if got := testenv.Tags(t, repo); len(got) != 0 {
		t.Errorf("failed publishes left tags %v", got)
	}
}

func TestRecordJSON(t *testing.T) {
	rec := Record{Kind: KindRelease, Version: "1.0.0", Gates: []Gate{{Name: "test", Passed: true, Duration: 1500 * 1e6}}}
	var back Record
	if err := json.Unmarshal(rec.JSON(), &back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.JSON(), rec.JSON()) {
		t.Errorf("round trip = %s, want %s", back.JSON(), rec.JSON())
	}
	if !strings.Contains(string(rec.JSON()), `"duration": "1.5s"`) {
		t.Errorf("gate duration not a Go duration string: %s", rec.JSON())
	}
}
