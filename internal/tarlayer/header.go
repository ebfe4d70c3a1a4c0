package tarlayer

import (
	"archive/tar"
	"path"
	"strings"
	"time"
)

// TimeMode says what an entry's mtime becomes.
type TimeMode int

const (
	// SetTimes sets every mtime to the epoch (the default).
	SetTimes TimeMode = iota
	// ClampTimes keeps mtimes older than the epoch (in whole seconds) and
	// sets newer and unset ones to the epoch.
	ClampTimes
	// KeepTimes keeps every mtime, in whole seconds.
	KeepTimes
)

// xattrPrefixes are the PAX record prefixes of extended attributes, the
// only PAX records a canonical header keeps.
var xattrPrefixes = []string{"SCHILY.xattr.", "LIBARCHIVE.xattr."}

// CleanName returns a tar entry name in canonical form: no leading "/" or
// "./", no trailing "/", "." for the root.
func CleanName(name string) string {
	p := path.Clean("/" + name)
	if p == "/" {
		return "."
	}
	return p[1:]
}

// Header returns the canonical header of h (see the package doc), its
// mtime given by mode and epoch. h is not changed.
func Header(h *tar.Header, epoch time.Time, mode TimeMode) *tar.Header {
	typ := h.Typeflag
	if typ == tar.TypeRegA { //nolint:staticcheck // old tars still use it
		typ = tar.TypeReg
	}
	out := &tar.Header{
		Typeflag: typ,
		Name:     entryName(h.Name, typ == tar.TypeDir),
		Linkname: h.Linkname,
		Mode:     h.Mode & 0o7777,
		Uid:      h.Uid,
		Gid:      h.Gid,
		ModTime:  modTime(h.ModTime, epoch, mode),
		Format:   tar.FormatPAX,
	}
	switch typ {
	case tar.TypeReg:
		out.Size = h.Size
	case tar.TypeLink:
		out.Linkname = CleanName(h.Linkname)
	case tar.TypeChar, tar.TypeBlock:
		out.Devmajor, out.Devminor = h.Devmajor, h.Devminor
	}
	for k, v := range h.PAXRecords {
		for _, p := range xattrPrefixes {
			if strings.HasPrefix(k, p) {
				if out.PAXRecords == nil {
					out.PAXRecords = map[string]string{}
				}
				out.PAXRecords[k] = v
			}
		}
	}
	return out
}

// entryName is CleanName with a trailing "/" for directories ("./" for
// the root), as docker and buildkit write them.
func entryName(name string, dir bool) string {
	n := CleanName(name)
	switch {
	case dir && n == ".":
		return "./"
	case dir:
		return n + "/"
	}
	return n
}

// modTime is the mtime written for t.
func modTime(t, epoch time.Time, mode TimeMode) time.Time {
	switch {
	case mode == KeepTimes:
		return t.Truncate(time.Second)
	case mode == ClampTimes && !t.IsZero() && t.Before(epoch):
		return t.UTC().Truncate(time.Second)
	}
	return epoch
}
