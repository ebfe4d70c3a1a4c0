package publish

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
)

func TestRollbackAndReleases(t *testing.T) {
	ctx := context.Background()
	repo := newRegistry(t, nil)
	o := testOptions()
	d := map[string]string{}
	for i, v := range []string{"1.0.0", "1.1.0", "1.0.1"} {
		img := testImage(t, int64(i+1))
		d[v] = digestOf(t, img)
		clock := time.Date(2025, 1, 1+i, 0, 0, 0, 0, time.UTC)
		o.Now = func() time.Time { return clock }
		mustPublish(t, repo, img, v, o)
	}
	o = testOptions()

	t.Run("never released", func(t *testing.T) {
		before := testenv.Tags(t, repo)
		_, err := Rollback(ctx, target(t, repo), ver(t, "1.0.2"), o)
		if err == nil || !strings.Contains(err.Error(), "never released") || !strings.Contains(err.Error(), "1.1.0, 1.0.1, 1.0.0") {
			t.Errorf("Rollback(1.0.2) = %v, want 'never released' listing the releases", err)
		}
		if _, err := Rollback(ctx, target(t, repo), ver(t, "1.1.0-rc.1"), o); err == nil || !strings.Contains(err.Error(), "prerelease") {
			t.Errorf("Rollback(prerelease) = %v, want refusal", err)
		}
		if after := testenv.Tags(t, repo); !equalMaps(before, after) {
			t.Errorf("refused rollback changed tags: %v -> %v", before, after)
		}
	})

	t.Run("to 1.0.0", func(t *testing.T) {
		res, err := Rollback(ctx, target(t, repo), ver(t, "v1.0.0"), o)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Moved, []string{"v1.0", "v1", "latest"}) || res.RecordTag != "rollback_0001" {
			t.Errorf("Moved = %v, RecordTag = %q; want v1.0 v1 latest, rollback_0001", res.Moved, res.RecordTag)
		}
		if got := formatted(res); !strings.Contains(got, "rolled back to 1.0.0: "+repo+"@"+d["1.0.0"]) {
			t.Errorf("Format wrote %s", got)
		}
		if res.Ref != repo+"@"+d["1.0.0"] {
			t.Errorf("Ref = %q", res.Ref)
		}
		want := map[string]string{
			"v1.0.0": d["1.0.0"], "v1.1.0": d["1.1.0"], "v1.0.1": d["1.0.1"],
			"v1.0": d["1.0.0"], "v1.1": d["1.1.0"], "v1": d["1.0.0"], "latest": d["1.0.0"],
		}
		if got := withoutRecords(testenv.Tags(t, repo)); !equalMaps(got, want) {
			t.Errorf("tags = %v, want %v", got, want)
		}
		if res.Record.Previous["v1"] != d["1.1.0"] || res.Record.Previous["v1.0"] != d["1.0.1"] {
			t.Errorf("record Previous = %v", res.Record.Previous)
		}
	})

	t.Run("never moves forward", func(t *testing.T) {
		res, err := Rollback(ctx, target(t, repo), ver(t, "1.0.1"), o)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Moved) != 0 || res.RecordTag != "" {
			t.Errorf("Rollback(1.0.1) after rollback to 1.0.0 moved %v (record %q), want nothing", res.Moved, res.RecordTag)
		}
		if !strings.Contains(res.Kept["v1"], "never moves tags forward") {
			t.Errorf("Kept = %v", res.Kept)
		}
	})

	t.Run("republishing the newer version does not undo it", func(t *testing.T) {
		r := mustPublish(t, repo, testImage(t, 2), "1.1.0", o)
		if !r.AlreadyReleased || len(r.Moved) != 0 {
			t.Errorf("re-release of 1.1.0 = %+v, want no-op", r)
		}
	})

	t.Run("releases", func(t *testing.T) {
		h, err := Releases(ctx, target(t, repo), o)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range h.Releases {
			got = append(got, r.Version+"="+r.Digest[:15]+"@"+r.Created.Format("01-02"))
			if r.Record == nil {
				t.Errorf("%s has no record", r.Version)
			}
		}
		want := []string{
			"1.1.0=" + d["1.1.0"][:15] + "@01-02",
			"1.0.1=" + d["1.0.1"][:15] + "@01-03",
			"1.0.0=" + d["1.0.0"][:15] + "@01-01",
		}
		if !slices.Equal(got, want) {
			t.Errorf("Releases = %v, want %v", got, want)
		}
		var floating []string
		for _, f := range h.Floating {
			floating = append(floating, f.Tag+"->"+f.Version)
		}
		if wantF := []string{"latest->1.0.0", "v1->1.0.0", "v1.1->1.1.0", "v1.0->1.0.0"}; !slices.Equal(floating, wantF) {
			t.Errorf("Floating = %v, want %v", floating, wantF)
		}
		if len(h.Rollbacks) != 1 || h.Rollbacks[0].Version != "1.0.0" || h.Rollbacks[0].Kind != KindRollback {
			t.Errorf("Rollbacks = %+v", h.Rollbacks)
		}
		if h.Tag("latest") != d["1.0.0"] || h.Tag("v1.1.0") != d["1.1.0"] {
			t.Errorf("History.Tag: latest=%s v1.1.0=%s", h.Tag("latest"), h.Tag("v1.1.0"))
		}
		var buf bytes.Buffer
		h.Format(&buf)
		for _, want := range []string{"1.1.0", "latest", "ROLLBACK TO", "2025-01-02T00:00:00Z"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("Format output lacks %q:\n%s", want, buf.String())
			}
		}
	})

	t.Run("next highest release moves tags forward again", func(t *testing.T) {
		r := mustPublish(t, repo, testImage(t, 4), "1.1.1", o)
		if !slices.Equal(r.Moved, []string{"v1.1", "v1", "latest"}) {
			t.Errorf("1.1.1 moved %v, want v1.1 v1 latest", r.Moved)
		}
		// A patch of the rolled-back line only moves its minor tag.
		r = mustPublish(t, repo, testImage(t, 5), "1.0.2", o)
		if !slices.Equal(r.Moved, []string{"v1.0"}) {
			t.Errorf("1.0.2 moved %v, want v1.0", r.Moved)
		}
	})

	t.Run("second rollback gets the next record number", func(t *testing.T) {
		res, err := Rollback(ctx, target(t, repo), ver(t, "1.1.0"), o)
		if err != nil {
			t.Fatal(err)
		}
		if res.RecordTag != "rollback_0002" || !slices.Equal(res.Moved, []string{"v1.1", "v1", "latest"}) {
			t.Errorf("RecordTag = %q, Moved = %v", res.RecordTag, res.Moved)
		}
	})
}
