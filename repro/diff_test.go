package repro

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// builds returns two normalized builds of the same app where appB's
// contents come from the mutation under test.
func builds(t *testing.T, labelsA, labelsB map[string]string, appA, appB []file) (a, b *Report) {
	t.Helper()
	deps := []file{{name: "app/node_modules/x/index.js", body: "1", uid: 1000}}
	ia := image(t, t1, true, labelsA, baseLayer(t), layer(t, deps), layer(t, appA))
	ib := image(t, t2, true, labelsB, baseLayer(t), layer(t, deps), layer(t, appB))
	na, err := Normalize(ia, epoch, SkipLayers(1))
	if err != nil {
		t.Fatal(err)
	}
	nb, err := Normalize(ib, epoch, SkipLayers(1))
	if err != nil {
		t.Fatal(err)
	}
	same, err := Diff(na, na)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Diff(na, nb)
	if err != nil {
		t.Fatal(err)
	}
	return same, r
}

func TestDiffPass(t *testing.T) {
	app := []file{{name: "app/app.js", body: "ok"}}
	same, r := builds(t, nil, nil, app, app)
	for _, rep := range []*Report{same, r} {
		if !rep.Equal || !strings.HasPrefix(rep.String(), "PASS digest sha256:") {
			t.Errorf("Diff of equal builds = %s, want PASS", rep)
		}
	}
}

func TestDiffNamesTheDifference(t *testing.T) {
	tests := []struct {
		name           string
		appA, appB     []file
		labelA, labelB string
		wantLayer      int
		wantFile       string
		wantChange     string
		wantFields     []string
		wantConfig     string
	}{{
		name:       "Date.now() written at build time",
		appA:       []file{{name: "app/app.js", body: "ok"}, {name: "app/build-time.txt", body: "1767261600000"}},
		appB:       []file{{name: "app/app.js", body: "ok"}, {name: "app/build-time.txt", body: "1767261600123"}},
		wantLayer:  2,
		wantFile:   "app/build-time.txt",
		wantChange: "modified",
		wantFields: []string{"sha256"},
	}, {
		name:       "random bytes from install",
		appA:       []file{{name: "app/app.js", body: "ok"}, {name: "app/random.bin", body: "\x01\x02\x03"}},
		appB:       []file{{name: "app/app.js", body: "ok"}, {name: "app/random.bin", body: "\x09\x08\x07\x06"}},
		wantLayer:  2,
		wantFile:   "app/random.bin",
		wantChange: "modified",
		wantFields: []string{"size", "sha256"},
	}, {
		name:       "file only in one build, mode change",
		appA:       []file{{name: "app/app.js", body: "ok", mode: 0o755}, {name: "app/cache.tmp", body: "x"}},
		appB:       []file{{name: "app/app.js", body: "ok", mode: 0o644}},
		wantLayer:  2,
		wantFile:   "app/cache.tmp",
		wantChange: "only-in-a",
	}, {
		name:       "created label",
		appA:       []file{{name: "app/app.js", body: "ok"}},
		appB:       []file{{name: "app/app.js", body: "ok"}},
		labelA:     "2024-01-01T00:00:00Z",
		labelB:     time.Now().UTC().Format(time.RFC3339),
		wantLayer:  -1,
		wantConfig: `config.Labels["org.opencontainers.image.created"]`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			la := map[string]string{"org.opencontainers.image.created": tc.labelA}
			lb := map[string]string{"org.opencontainers.image.created": tc.labelB}
			_, r := builds(t, la, lb, tc.appA, tc.appB)
			if r.Equal {
				t.Fatalf("Diff = %s, want FAIL", r)
			}
			text := r.String()
			if !strings.HasPrefix(text, "FAIL digest sha256:") {
				t.Errorf("String() = %q, want FAIL line first", text)
			}
			if tc.wantConfig != "" {
				if len(r.Config) != 1 || r.Config[0].Path != tc.wantConfig {
					t.Errorf("Config = %+v, want one diff at %s", r.Config, tc.wantConfig)
				}
				if !strings.Contains(text, tc.wantConfig) {
					t.Errorf("String() does not name %s:\n%s", tc.wantConfig, text)
				}
			} else {
				// Only the layer's diff_id may differ in the config.
				for _, f := range r.Config {
					if !strings.HasPrefix(f.Path, "rootfs.diff_ids[") {
						t.Errorf("unexpected config diff %s", f.Path)
					}
				}
			}
			if tc.wantLayer < 0 {
				if len(r.Layers) != 0 {
					t.Errorf("Layers = %+v, want none", r.Layers)
				}
				return
			}
			if len(r.Layers) != 1 || r.Layers[0].Index != tc.wantLayer {
				t.Fatalf("Layers = %+v, want only layer %d", r.Layers, tc.wantLayer)
			}
			var found bool
			for _, f := range r.Layers[0].Files {
				if f.Path == tc.wantFile {
					found = true
					if f.Change != tc.wantChange || strings.Join(f.Fields, ",") != strings.Join(tc.wantFields, ",") {
						t.Errorf("%s: change %s fields %v, want %s %v", f.Path, f.Change, f.Fields, tc.wantChange, tc.wantFields)
					}
				}
			}
			if !found {
				t.Errorf("files %+v do not name %s", r.Layers[0].Files, tc.wantFile)
			}
			if !strings.Contains(text, tc.wantFile) {
				t.Errorf("String() does not name %s:\n%s", tc.wantFile, text)
			}
			js, err := r.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var back Report
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatalf("report JSON does not round-trip: %v", err)
			}
			if back.Layers[0].Files[0].Path != r.Layers[0].Files[0].Path || back.A.Digest != r.A.Digest {
				t.Errorf("JSON round trip lost data: %s", js)
			}
		})
	}
}

func TestDiffLayerCountAndCompression(t *testing.T) {
	files := []file{{name: "app/app.js", body: "ok", mtime: epoch}}
	a := image(t, epoch, false, nil, layer(t, files))
	b := image(t, epoch, false, nil, layer(t, files, withLevel(9)), layer(t, []file{{name: "extra", body: "x"}}))
	r, err := Diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Layers) != 2 {
		t.Fatalf("Layers = %+v, want 2", r.Layers)
	}
	if !r.Layers[0].SameContent {
		t.Errorf("layer 0: SameContent = false, want true (only gzip level differs)")
	}
	if r.Layers[1].A != nil || len(r.Layers[1].Files) != 1 || r.Layers[1].Files[0].Change != "only-in-b" {
		t.Errorf("layer 1 = %+v, want only in b with file extra", r.Layers[1])
	}
	if !strings.Contains(r.String(), "layer 1: only in b") {
		t.Errorf("String() = %s", r)
	}
}
