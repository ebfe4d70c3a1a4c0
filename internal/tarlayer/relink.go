package tarlayer

import (
	"archive/tar"
	"sort"
)

// Relink makes hard links independent of the order they were written in:
// in each group (a regular file and the links to it, chains followed) the
// first name of the group in sorted order carries the content and the
// others link to it, every one with the file's header (one inode, one set
// of metadata). names are m's keys (CleanName); m is changed in place.
// Links to files not in m are left alone.
func Relink(names []string, m map[string]*Entry) {
	groups := map[string][]string{} // file -> links to it
	for _, n := range names {
		h := m[n].Header
		if h.Typeflag != tar.TypeLink {
			continue
		}
		t := CleanName(h.Linkname)
		for seen := 0; seen < len(names); seen++ {
			te, ok := m[t]
			if !ok || te.Header.Typeflag != tar.TypeLink {
				break
			}
			t = CleanName(te.Header.Linkname)
		}
		if te, ok := m[t]; ok && isReg(te.Header.Typeflag) {
			groups[t] = append(groups[t], n)
		}
	}
	for file, links := range groups {
		members := append([]string{file}, links...)
		sort.Strings(members)
		src := m[file]
		for i, n := range members {
			h := *src.Header
			h.Name = n
			e := &Entry{Header: &h, Body: src.Body}
			if i > 0 {
				h.Typeflag, h.Linkname, h.Size, e.Body = tar.TypeLink, members[0], 0, nil
			}
			m[n] = e
		}
	}
}

func isReg(typ byte) bool {
	return typ == tar.TypeReg || typ == tar.TypeRegA //nolint:staticcheck // old tars still use it
}
