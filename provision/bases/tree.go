package bases

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"dagger/immutable/internal/tarlayer"
)

// entry is one file system object of a layer: a normalized tar header and,
// for regular files, its content.
type entry struct {
	hdr  tar.Header
	data []byte
}

// tree is an in-memory file system that becomes one reproducible layer.
// Names are clean relative paths ("usr/local/bin/node"), never "./" or "/".
type tree struct {
	m map[string]*entry
}

func newTree() *tree { return &tree{m: map[string]*entry{}} }

// cleanName turns a tar name ("./usr/bin/", "/etc/passwd") into a tree key.
func cleanName(name string) string {
	n := path.Clean("/" + name)
	return strings.TrimPrefix(n, "/")
}

// dirEntry is a root-owned directory with the given mode.
func dirEntry(name string, mode int64, uid, gid int) *entry {
	return &entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, Uid: uid, Gid: gid}}
}

// fileEntry is a regular file.
func fileEntry(name string, mode int64, uid, gid int, data []byte) *entry {
	return &entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Uid: uid, Gid: gid, Size: int64(len(data))}, data: data}
}

// symlinkEntry is a symbolic link to target.
func symlinkEntry(name, target string) *entry {
	return &entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}}
}

// add puts e into the tree, creating missing parent directories (0755, root).
// A directory that already exists keeps its first header. Any other name
// that already exists is an error unless both are identical, or replace is
// set (then the new entry wins).
func (t *tree) add(e *entry, replace bool) error {
	name := cleanName(e.hdr.Name)
	if name == "" || name == "." {
		return nil // the root itself
	}
	e.hdr.Name = name
	if e.hdr.Typeflag == tar.TypeLink {
		e.hdr.Linkname = cleanName(e.hdr.Linkname)
	}
	if e.hdr.Typeflag == tar.TypeRegA {
		e.hdr.Typeflag = tar.TypeReg
	}
	t.mkdirAll(path.Dir(name))
	old, ok := t.m[name]
	if ok && !replace {
		if old.hdr.Typeflag == tar.TypeDir && e.hdr.Typeflag == tar.TypeDir {
			return nil
		}
		if !sameEntry(old, e) {
			return fmt.Errorf("conflicting entries for %s", name)
		}
		return nil
	}
	t.m[name] = e
	return nil
}

func (t *tree) mkdirAll(dir string) {
	if dir == "." || dir == "/" || dir == "" {
		return
	}
	if _, ok := t.m[dir]; ok {
		return
	}
	t.mkdirAll(path.Dir(dir))
	t.m[dir] = dirEntry(dir, 0o755, 0, 0)
}

func sameEntry(a, b *entry) bool {
	return a.hdr.Typeflag == b.hdr.Typeflag && a.hdr.Linkname == b.hdr.Linkname &&
		a.hdr.Mode&0o7777 == b.hdr.Mode&0o7777 && a.hdr.Uid == b.hdr.Uid && a.hdr.Gid == b.hdr.Gid &&
		bytes.Equal(a.data, b.data)
}

// remove deletes name and, for a directory, everything below it.
func (t *tree) remove(name string) {
	name = cleanName(name)
	delete(t.m, name)
	prefix := name + "/"
	for k := range t.m {
		if strings.HasPrefix(k, prefix) {
			delete(t.m, k)
		}
	}
}

// removeFunc deletes every entry for which drop returns true (and, for
// directories, everything below them).
func (t *tree) removeFunc(drop func(name string, e *entry) bool) {
	var gone []string
	for k, e := range t.m {
		if drop(k, e) {
			gone = append(gone, k)
		}
	}
	for _, k := range gone {
		t.remove(k)
	}
}

// get returns the entry at name or nil.
func (t *tree) get(name string) *entry { return t.m[cleanName(name)] }

// addTar reads a tar stream into the tree. prefix, when set, is stripped
// from every name and entries outside it are skipped (npm's "package/").
func (t *tree) addTar(r io.Reader, prefix string, replace bool) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		name := cleanName(h.Name)
		if prefix != "" {
			p := cleanName(prefix)
			if name != p && !strings.HasPrefix(name, p+"/") {
				continue
			}
			name = strings.TrimPrefix(strings.TrimPrefix(name, p), "/")
			if h.Typeflag == tar.TypeLink {
				h.Linkname = strings.TrimPrefix(strings.TrimPrefix(cleanName(h.Linkname), p), "/")
			}
		}
		e := &entry{hdr: *h}
		e.hdr.Name = name
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			b, err := io.ReadAll(tr)
			if err != nil {
				return fmt.Errorf("read %s: %w", h.Name, err)
			}
			e.data = b
		case tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		default:
			continue // pax globals etc.
		}
		if err := t.add(e, replace); err != nil {
			return err
		}
	}
}

// writeTar writes the tree as a reproducible tar stream by the project's
// one deterministic tar writer (tarlayer): sorted by name, hard links
// relinked so that the first name of each group carries the content,
// mtimes clamped to epoch. A hard link must point at a regular file of the
// tree.
func (t *tree) writeTar(w io.Writer, epoch time.Time) error {
	names := make([]string, 0, len(t.m))
	for k := range t.m {
		names = append(names, k)
	}
	sort.Strings(names)
	entries := make(map[string]*tarlayer.Entry, len(t.m))
	for _, n := range names {
		e := t.m[n]
		if e.hdr.Typeflag == tar.TypeLink {
			if te, ok := t.m[e.hdr.Linkname]; !ok || te.hdr.Typeflag != tar.TypeReg {
				return fmt.Errorf("hard link %s: target %s is not a regular file in the layer", n, e.hdr.Linkname)
			}
		}
		h := e.hdr
		h.Size = int64(len(e.data))
		entries[n] = &tarlayer.Entry{Header: &h, Body: bytes.NewReader(e.data)}
	}
	return tarlayer.Write(w, entries, epoch, tarlayer.ClampTimes)
}

// addTgz reads a gzip-compressed tar (an npm package) into the tree.
func (t *tree) addTgz(tgz []byte, prefix string) error {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return fmt.Errorf("gunzip: %w", err)
	}
	return t.addTar(zr, prefix, false)
}
