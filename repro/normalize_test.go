package repro

import (
	"archive/tar"
	"compress/gzip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var (
	epoch = time.Unix(1704067200, 0).UTC()
	t1    = time.Date(2026, 3, 1, 10, 0, 0, 123, time.UTC)
	t2    = time.Date(2026, 3, 2, 11, 30, 0, 0, time.UTC)
)

func baseLayer(t *testing.T) v1.Layer {
	// Pinned base content: old mtimes, root-owned, named owners.
	old := time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC)
	return layer(t, []file{
		{name: "usr/", typ: tar.TypeDir, mtime: old, uname: "root"},
		{name: "usr/local/bin/node", body: "ELF", mode: 0o755, mtime: old, uname: "root"},
	}, tarball.WithMediaType(types.OCILayer))
}

// appLayers are the same files built twice: different mtimes, entry order,
// owner names, "./" prefixes, compression level and created times.
func appImages(t *testing.T) (v1.Image, v1.Image, v1.Layer) {
	base := baseLayer(t)
	a := image(t, t1, true, nil, base,
		layer(t, []file{
			{name: "app/", typ: tar.TypeDir, mtime: t1, uid: 1000, uname: "node"},
			{name: "app/node_modules/", typ: tar.TypeDir, mtime: t1, uid: 1000, uname: "node"},
			{name: "app/node_modules/left-pad/index.js", body: "module.exports=1", mtime: time.Date(1985, 10, 26, 8, 15, 0, 0, time.UTC), uid: 1000, uname: "node"},
			{name: "app/node_modules/.package-lock.json", body: "{}", mtime: t1, uid: 1000},
		}, tarball.WithMediaType(types.OCILayer)),
		layer(t, []file{
			{name: "app/app.js", body: "console.log(1)", mtime: t1, uid: 1000, uname: "node", pax: map[string]string{"atime": "1772359200", "SCHILY.xattr.user.k": "v"}},
			{name: "app/package.json", body: "{}", mtime: t1, uid: 1000, uname: "node"},
		}, tarball.WithMediaType(types.OCILayer)),
	)
	b := image(t, t2, true, nil, base,
		layer(t, []file{
			{name: "./app/node_modules/.package-lock.json", body: "{}", mtime: t2, uid: 1000},
			{name: "./app/node_modules/left-pad/index.js", body: "module.exports=1", mtime: t2, uid: 1000, uname: "other"},
			{name: "./app/", typ: tar.TypeDir, mtime: t2, uid: 1000},
			{name: "./app/node_modules/", typ: tar.TypeDir, mtime: t2, uid: 1000},
		}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression)),
		layer(t, []file{
			{name: "app/package.json", body: "{}", mtime: t2, uid: 1000},
			{name: "app/app.js", body: "console.log(1)", mtime: t2, uid: 1000, pax: map[string]string{"SCHILY.xattr.user.k": "v"}},
		}, tarball.WithMediaType(types.OCILayer)),
	)
	return a, b, base
}

func TestNormalizeDeterministic(t *testing.T) {
	a, b, base := appImages(t)
	if digest(t, a) == digest(t, b) {
		t.Fatal("test images should differ before normalizing")
	}
	baseDigest, _ := base.Digest()
	for _, tc := range []struct {
		name string
		opts []Option
		skip int
	}{
		{"skip layers", []Option{SkipLayers(1)}, 1},
		{"base image", []Option{Base(image(t, t1, true, nil, base))}, 1},
		{"all layers", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			na, err := Normalize(a, epoch, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			nb, err := Normalize(b, epoch, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if da, db := digest(t, na), digest(t, nb); da != db {
				r, _ := Diff(na, nb)
				t.Fatalf("Normalize digests %s != %s\n%s", da, db, r)
			}
			layers, err := na.Layers()
			if err != nil {
				t.Fatal(err)
			}
			// The base layer keeps its content (diff_id) and is only
			// recompressed the way this package compresses, as the
			// project's bases are: their blobs come out unchanged.
			d0, _ := layers[0].Digest()
			id0, _ := layers[0].DiffID()
			baseID, _ := base.DiffID()
			canon, err := recompressLayer(base, types.OCILayer, DefaultCompressionLevel)
			if err != nil {
				t.Fatal(err)
			}
			canonDigest, _ := canon.Digest()
			if kept := d0 == canonDigest && id0 == baseID; kept != (tc.skip == 1) {
				t.Errorf("base layer digest %s diff_id %s (base %s, recompressed %s), want kept=%v", d0, id0, baseID, canonDigest, tc.skip == 1)
			}
			if again, _ := recompressLayer(canon, types.OCILayer, DefaultCompressionLevel); digestOf(t, again) != canonDigest {
				t.Errorf("recompressing a layer compressed this way changes its blob")
			}
			_ = baseDigest
			// Idempotent: normalizing again changes nothing.
			again, err := Normalize(na, epoch, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if digest(t, again) != digest(t, na) {
				t.Errorf("Normalize is not idempotent")
			}
			mt, _ := na.MediaType()
			if mt != types.OCIManifestSchema1 {
				t.Errorf("media type = %s, want OCI manifest", mt)
			}
		})
	}
}

func TestNormalizeConfigAndEntries(t *testing.T) {
	a, _, _ := appImages(t)
	n, err := Normalize(a, epoch.Add(500*time.Millisecond), SkipLayers(1))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := n.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !cf.Created.Time.Equal(epoch) {
		t.Errorf("created = %v, want %v", cf.Created.Time, epoch)
	}
	for i, h := range cf.History {
		if !h.Created.Time.Equal(epoch) {
			t.Errorf("history[%d].created = %v, want %v", i, h.Created.Time, epoch)
		}
	}
	layers, _ := n.Layers()
	var names []string
	for _, l := range layers[1:] {
		mt, _ := l.MediaType()
		if mt != types.OCILayer {
			t.Errorf("layer media type = %s, want %s", mt, types.OCILayer)
		}
		for _, h := range entries(t, l) {
			names = append(names, h.Name)
			if !h.ModTime.Equal(epoch) || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
				t.Errorf("%s: times %v/%v/%v, want mtime %v only", h.Name, h.ModTime, h.AccessTime, h.ChangeTime, epoch)
			}
			if h.Uname != "" || h.Gname != "" {
				t.Errorf("%s: owner names %q:%q, want none", h.Name, h.Uname, h.Gname)
			}
			if h.Uid != 1000 || h.Gid != 1000 {
				t.Errorf("%s: owner %d:%d, want 1000:1000 kept", h.Name, h.Uid, h.Gid)
			}
			if h.Name == "app/app.js" && h.PAXRecords["SCHILY.xattr.user.k"] != "v" {
				t.Errorf("app/app.js: xattr dropped: %v", h.PAXRecords)
			}
		}
	}
	want := "app/ app/node_modules/ app/node_modules/.package-lock.json app/node_modules/left-pad/index.js app/app.js app/package.json"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries = %s\nwant      %s", got, want)
	}
}

func TestNormalizeOptions(t *testing.T) {
	old := time.Date(1985, 10, 26, 8, 15, 0, 0, time.UTC)
	img := image(t, t1, false, nil, layer(t, []file{
		{name: "app/old.js", body: "x", mtime: old, uid: 1000},
		{name: "app/new.js", body: "y", mtime: t1, uid: 1000},
		{name: "app/npm-debug.log", body: "log", mtime: t1},
		{name: "root/.npm/_cacache/index", body: "cache", mtime: t1},
		{name: "home/node/.npm/_logs/debug.log", body: "log", mtime: t1},
		{name: "app/node_modules/.package-lock.json", body: "{}", mtime: t1},
	}))
	tests := []struct {
		name string
		opts []Option
		want map[string]string // name -> "uid mtime"
	}{{
		name: "clamp and remove noise",
		opts: []Option{Times(ClampTimes), Remove(DefaultNoise...)},
		want: map[string]string{
			"app/old.js":                          "1000 1985-10-26T08:15:00Z",
			"app/new.js":                          "1000 2024-01-01T00:00:00Z",
			"app/node_modules/.package-lock.json": "0 2024-01-01T00:00:00Z",
		},
	}, {
		name: "owner and glob",
		opts: []Option{Owner(0, 0), Remove("*.log", "/root/.npm")},
		want: map[string]string{
			"app/old.js":                          "0 2024-01-01T00:00:00Z",
			"app/new.js":                          "0 2024-01-01T00:00:00Z",
			"app/node_modules/.package-lock.json": "0 2024-01-01T00:00:00Z",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Normalize(img, epoch, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			layers, _ := n.Layers()
			mt, _ := layers[0].MediaType()
			if mt != types.DockerLayer {
				t.Errorf("media type = %s, want %s", mt, types.DockerLayer)
			}
			got := map[string]string{}
			for _, h := range entries(t, layers[0]) {
				got[h.Name] = strings.Join([]string{strconv.Itoa(h.Uid), h.ModTime.UTC().Format(time.RFC3339)}, " ")
			}
			if len(got) != len(tc.want) {
				t.Errorf("entries = %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestNormalizeHardlinks(t *testing.T) {
	// The same inode pair, written in the two possible orders.
	a := image(t, t1, false, nil, layer(t, []file{
		{name: "bin/b", body: "tool", mtime: t1},
		{name: "bin/a", typ: tar.TypeLink, link: "bin/b", mtime: t1},
	}))
	b := image(t, t1, false, nil, layer(t, []file{
		{name: "bin/a", body: "tool", mtime: t2},
		{name: "bin/b", typ: tar.TypeLink, link: "/bin/a", mtime: t2},
	}))
	na, err := Normalize(a, epoch)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := Normalize(b, epoch)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, na) != digest(t, nb) {
		r, _ := Diff(na, nb)
		t.Fatalf("hard link order changes the digest:\n%s", r)
	}
	layers, _ := na.Layers()
	hs := entries(t, layers[0])
	if hs[0].Name != "bin/a" || hs[0].Typeflag != tar.TypeReg || hs[1].Typeflag != tar.TypeLink || hs[1].Linkname != "bin/a" {
		t.Errorf("entries = %s(%c) %s(%c -> %s), want bin/a file, bin/b link to it", hs[0].Name, hs[0].Typeflag, hs[1].Name, hs[1].Typeflag, hs[1].Linkname)
	}
}

func TestNormalizeErrors(t *testing.T) {
	a, _, _ := appImages(t)
	other := image(t, t1, true, nil, layer(t, []file{{name: "etc/os-release", body: "other"}}))
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"wrong base", []Option{Base(other)}, "not built on base"},
		{"too many skipped", []Option{SkipLayers(9)}, "skipping 9 layers of 3"},
		{"negative skip", []Option{SkipLayers(-1)}, "must be >= 0"},
		{"both", []Option{SkipLayers(1), Base(other)}, "mutually exclusive"},
		{"bad pattern", []Option{Remove("[")}, "syntax error"},
		{"bad level", []Option{CompressionLevel(42)}, "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Normalize(a, epoch, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Normalize() error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestClearHistoryText(t *testing.T) {
	h := []v1.History{
		{CreatedBy: "import image layer sha256:0575", EmptyLayer: false},
		{CreatedBy: "Directory.withDirectory", Comment: "x"},
		{CreatedBy: "rehydrated persisted snapshot", Author: "dagger", EmptyLayer: true},
	}
	clearHistoryText(h)
	for i, e := range h {
		if e.CreatedBy != "" || e.Author != "" || e.Comment != "" {
			t.Errorf("history[%d] = %+v, want created_by, author, comment cleared", i, e)
		}
	}
	if !h[2].EmptyLayer || h[0].EmptyLayer {
		t.Errorf("empty_layer flags changed: %+v", h)
	}
}

func digestOf(t *testing.T, l v1.Layer) v1.Hash {
	t.Helper()
	d, err := l.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNormalizeDropped(t *testing.T) {
	img := image(t, t1, false, nil, layer(t, []file{
		{name: "app/app.js", body: "x", mtime: t1},
		{name: "app/npm-debug.log", body: "log", mtime: t1},
		{name: "root/.npm/_cacache/index", body: "cache", mtime: t1},
	}))
	var dropped []string
	if _, err := Normalize(img, epoch, Remove(DefaultNoise...), Dropped(&dropped)); err != nil {
		t.Fatal(err)
	}
	slices.Sort(dropped)
	if want := []string{"app/npm-debug.log", "root/.npm/_cacache/index"}; !slices.Equal(dropped, want) {
		t.Errorf("dropped = %v, want %v", dropped, want)
	}
	// Nothing to remove: the list stays empty.
	dropped = nil
	if _, err := Normalize(img, epoch, Remove("/nowhere"), Dropped(&dropped)); err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 0 {
		t.Errorf("dropped = %v, want none", dropped)
	}
}

// TestBaseLayersRecompressedOnce: a second Normalize on the same base gets
// the very layers of the first (compressed and hashed once per process).
func TestBaseLayersRecompressedOnce(t *testing.T) {
	a, b, base := appImages(t)
	na, err := Normalize(a, epoch, Base(image(t, t1, true, nil, base)))
	if err != nil {
		t.Fatal(err)
	}
	nb, err := Normalize(b, epoch, Base(image(t, t2, true, nil, base)))
	if err != nil {
		t.Fatal(err)
	}
	la, _ := na.Layers()
	lb, _ := nb.Layers()
	if la[0] != lb[0] {
		t.Error("the base layer was recompressed again for the second image")
	}
	if la[1] == lb[1] {
		t.Error("app layers are shared between images; only base layers should be")
	}
}
