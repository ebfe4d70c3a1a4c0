// Package untar is the project's one tar extractor: provision/bases unpacks
// the archives of `bases save` with it and provision/sdkimage the data of
// .debs.
//
// Nothing it writes leaves the directory it is given. A name that is
// absolute or climbs out with ".." is refused; so is an entry whose parent
// path, or a hard link whose target, goes through a symlink, and a
// directory entry that would land on one. A regular file or symlink
// replaces whatever was at its path rather than writing through it. Symlink
// targets are stored as they are (an absolute target is a path inside the
// image the directory becomes) and never followed.
//
// Directories, regular files, symlinks and hard links are extracted;
// other types (devices, fifos) are skipped. Permission bits, setuid, setgid
// and sticky are restored; owners and modification times are not (the tar
// writer, internal/tarlayer, decides those when the tree is packed again).
package untar

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Option configures Extract.
type Option func(*options)

type options struct {
	name        func(string) string
	regularOnly bool
}

// WithName maps each entry's name, and each hard link's target, to its
// slash-separated path under the directory; "" skips the entry. The result
// is cleaned and checked like any name. The default is the name itself.
func WithName(f func(string) string) Option {
	return func(o *options) { o.name = f }
}

// RegularOnly extracts regular files only and skips every other entry.
// Parent directories are created as needed (0755). The default extracts
// directories, symlinks and hard links too.
func RegularOnly() Option {
	return func(o *options) { o.regularOnly = true }
}

// Extract unpacks the tar read from r into dir, created if missing. Later
// entries replace earlier ones at the same path.
func Extract(r io.Reader, dir string, opts ...Option) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	o := options{name: func(s string) string { return s }}
	for _, opt := range opts {
		opt(&o)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeReg:
		case tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
			if o.regularOnly {
				continue
			}
		default:
			continue
		}
		rel, err := clean(o.name(h.Name), h.Name)
		if err != nil {
			return err
		}
		if rel == "" {
			continue
		}
		if err := parents(dir, rel, true); err != nil {
			return fmt.Errorf("%s: %w", h.Name, err)
		}
		if err := extract(tr, h, dir, rel, o); err != nil {
			return fmt.Errorf("%s: %w", h.Name, err)
		}
	}
}

// clean returns mapped as a clean relative path, "" to skip it (it is empty
// or the directory itself), or an error when it is absolute or leaves the
// directory.
func clean(mapped, name string) (string, error) {
	if mapped == "" {
		return "", nil
	}
	rel := path.Clean(mapped)
	if path.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("unsafe name %q", name)
	}
	if rel == "." {
		return "", nil
	}
	return rel, nil
}

// parents checks that each parent of rel under dir is a directory and not a
// symlink, creating missing ones (0755) when create is set.
func parents(dir, rel string, create bool) error {
	p := dir
	parent := path.Dir(rel)
	if parent == "." {
		return nil
	}
	for _, part := range strings.Split(parent, "/") {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist) && create:
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("parent %s is a symlink", part)
		case !fi.IsDir():
			return fmt.Errorf("parent %s is not a directory", part)
		}
	}
	return nil
}

// extract writes one entry, whose parents exist, at dir/rel.
func extract(tr *tar.Reader, h *tar.Header, dir, rel string, o options) error {
	dst := filepath.Join(dir, filepath.FromSlash(rel))
	mode := fs.FileMode(h.Mode).Perm() | modeBits(h.Mode)
	switch h.Typeflag {
	case tar.TypeDir:
		fi, err := os.Lstat(dst)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(dst, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case !fi.IsDir(): // a symlink too: Lstat does not follow it
			return fmt.Errorf("directory over a %s", fi.Mode().Type())
		}
		return os.Chmod(dst, mode)
	case tar.TypeReg:
		_ = os.Remove(dst)
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if err == nil {
			err = f.Chmod(mode)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	case tar.TypeSymlink:
		_ = os.Remove(dst)
		return os.Symlink(h.Linkname, dst)
	case tar.TypeLink:
		target, err := clean(o.name(h.Linkname), h.Linkname)
		if err != nil {
			return err
		}
		if target == "" {
			return fmt.Errorf("hard link to skipped entry %q", h.Linkname)
		}
		if err := parents(dir, target, false); err != nil {
			return fmt.Errorf("hard link to %s: %w", h.Linkname, err)
		}
		_ = os.Remove(dst)
		// link(2) does not follow a symlink at target: the link is to the
		// symlink itself.
		return os.Link(filepath.Join(dir, filepath.FromSlash(target)), dst)
	}
	return nil
}

// modeBits maps the setuid, setgid and sticky bits of a tar mode to
// fs.FileMode's.
func modeBits(m int64) fs.FileMode {
	var out fs.FileMode
	if m&0o4000 != 0 {
		out |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= fs.ModeSticky
	}
	return out
}
