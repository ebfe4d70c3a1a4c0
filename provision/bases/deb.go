package bases

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// arMagic starts every ar archive, and so every .deb.
const arMagic = "!<arch>\n"

// arMember is one member of an ar archive.
type arMember struct {
	Name string
	Data []byte
}

// readAr parses a System V / GNU ar archive (the .deb container): a magic
// line, then 60-byte headers each followed by the member, padded to even.
func readAr(b []byte) ([]arMember, error) {
	if !bytes.HasPrefix(b, []byte(arMagic)) {
		return nil, errors.New("not an ar archive")
	}
	var out []arMember
	off := len(arMagic)
	for off < len(b) {
		if len(b)-off < 60 {
			return nil, fmt.Errorf("ar: truncated header at %d", off)
		}
		h := b[off : off+60]
		if string(h[58:60]) != "`\n" {
			return nil, fmt.Errorf("ar: bad header magic at %d", off)
		}
		name := strings.TrimRight(string(h[0:16]), " ")
		name = strings.TrimSuffix(name, "/") // GNU style
		size, err := strconv.ParseInt(strings.TrimSpace(string(h[48:58])), 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("ar: bad size for %q", name)
		}
		off += 60
		if int64(len(b)-off) < size {
			return nil, fmt.Errorf("ar: member %q truncated", name)
		}
		out = append(out, arMember{Name: name, Data: b[off : off+int(size)]})
		off += int(size)
		if off%2 == 1 {
			off++
		}
	}
	return out, nil
}

// debDataTar returns the uncompressed data.tar stream of a .deb. Debian
// bookworm builds data.tar.xz; .gz, .zst and uncompressed are read too.
func debDataTar(deb []byte) (io.Reader, error) {
	members, err := readAr(deb)
	if err != nil {
		return nil, err
	}
	if len(members) == 0 || members[0].Name != "debian-binary" {
		return nil, errors.New("deb: first member is not debian-binary")
	}
	if v := strings.TrimSpace(string(members[0].Data)); !strings.HasPrefix(v, "2.") {
		return nil, fmt.Errorf("deb: unsupported format %q", v)
	}
	for _, m := range members {
		if !strings.HasPrefix(m.Name, "data.tar") {
			continue
		}
		return decompress(strings.TrimPrefix(m.Name, "data.tar"), m.Data)
	}
	return nil, errors.New("deb: no data.tar member")
}

// addDeb unpacks a .deb's data.tar into the tree (no maintainer scripts).
func (t *tree) addDeb(deb []byte) error {
	r, err := debDataTar(deb)
	if err != nil {
		return err
	}
	return t.addTar(r, "", false)
}

// debFiles lists the names of a .deb's data.tar (for tests and debugging).
func debFiles(deb []byte) ([]string, error) {
	r, err := debDataTar(deb)
	if err != nil {
		return nil, err
	}
	var names []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		names = append(names, cleanName(h.Name))
	}
}

// decompress opens a tar member by its compression suffix ("", ".xz",
// ".gz", ".zst").
func decompress(suffix string, b []byte) (io.Reader, error) {
	r := bytes.NewReader(b)
	switch suffix {
	case "":
		return r, nil
	case ".xz":
		zr, err := xz.NewReader(bufio.NewReader(r))
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		return zr, nil
	case ".gz":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case ".zst":
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	default:
		return nil, fmt.Errorf("unsupported compression %q", suffix)
	}
}
