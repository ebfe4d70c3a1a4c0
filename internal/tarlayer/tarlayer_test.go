package tarlayer

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

var (
	epoch = time.Unix(1735689600, 0).UTC()
	old   = time.Unix(1000, 500)
	later = epoch.Add(time.Hour)
)

func TestHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   tar.Header
		mode TimeMode
		want string // name type mode mtime linkname
	}{
		{"dir gets a slash", tar.Header{Name: "/usr/bin/", Typeflag: tar.TypeDir, Mode: 0o40755, ModTime: old}, SetTimes, "usr/bin/ 5 755 1735689600 "},
		{"root", tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}, SetTimes, "./ 5 755 1735689600 "},
		{"clamp keeps older", tar.Header{Name: "a", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: old}, ClampTimes, "a 0 644 1000 "},
		{"clamp caps newer", tar.Header{Name: "a", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: later}, ClampTimes, "a 0 644 1735689600 "},
		{"clamp sets unset", tar.Header{Name: "a", Typeflag: tar.TypeReg, Mode: 0o644}, ClampTimes, "a 0 644 1735689600 "},
		{"keep", tar.Header{Name: "a", Typeflag: tar.TypeRegA, Mode: 0o4755, ModTime: later}, KeepTimes, "a 0 4755 1735693200 "},
		{"hard link target cleaned", tar.Header{Name: "./b", Typeflag: tar.TypeLink, Linkname: "/a", ModTime: old}, SetTimes, "b 1 0 1735689600 a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Uname, tc.in.AccessTime = "someone", later
			h := Header(&tc.in, epoch, tc.mode)
			got := fmt.Sprintf("%s %c %o %d %s", h.Name, h.Typeflag, h.Mode, h.ModTime.Unix(), h.Linkname)
			if got != tc.want || h.Uname != "" || !h.AccessTime.IsZero() || h.Format != tar.FormatPAX {
				t.Errorf("Header = %q uname %q atime %v format %v, want %q", got, h.Uname, h.AccessTime, h.Format, tc.want)
			}
		})
	}
}

func TestWriteOrderAndHardLinks(t *testing.T) {
	write := func(order []string) []byte {
		all := map[string]*tar.Header{
			"b":     {Name: "b", Typeflag: tar.TypeReg, Mode: 0o755, Size: 4},
			"a":     {Name: "a", Typeflag: tar.TypeLink, Linkname: "b"},
			"d":     {Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755},
			"d/e":   {Name: "d/e", Typeflag: tar.TypeSymlink, Linkname: "../b"},
			"d-x":   {Name: "d-x", Typeflag: tar.TypeReg, Size: 0},
			".":     {Name: "./", Typeflag: tar.TypeDir, Mode: 0o755},
			"ext":   {Name: "ext", Typeflag: tar.TypeLink, Linkname: "outside"},
			"chain": {Name: "chain", Typeflag: tar.TypeLink, Linkname: "a"},
		}
		m := map[string]*Entry{}
		for _, n := range order {
			e := &Entry{Header: all[n]}
			if n == "b" {
				e.Body = strings.NewReader("tool")
			}
			m[n] = e
		}
		var buf bytes.Buffer
		if err := Write(&buf, m, epoch, SetTimes); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	one := write([]string{"b", "a", "d", "d/e", "d-x", ".", "ext", "chain"})
	if two := write([]string{"chain", "ext", ".", "d-x", "d/e", "d", "a", "b"}); !bytes.Equal(one, two) {
		t.Fatal("the order entries are given in changes the tar")
	}
	var got []string
	tr := tar.NewReader(bytes.NewReader(one))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		got = append(got, h.Name+" "+string(h.Typeflag)+" "+h.Linkname+" "+string(body))
	}
	// Sorted by name: "d" < "d-x" < "d/e".
	want := []string{"./ 5  ", "a 0  tool", "b 1 a ", "chain 1 a ", "d/ 5  ", "d-x 0  ", "d/e 2 ../b ", "ext 1 outside "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("entries\n%q\nwant\n%q", got, want)
	}
}
