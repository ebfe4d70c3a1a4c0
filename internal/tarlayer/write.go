package tarlayer

import (
	"archive/tar"
	"fmt"
	"io"
	"sort"
	"time"
)

// Writer writes canonical entries (Header) to a tar stream, in the order
// they are given.
type Writer struct {
	tw    *tar.Writer
	epoch time.Time
	mode  TimeMode
}

// NewWriter returns a Writer to w whose mtimes follow mode and epoch.
func NewWriter(w io.Writer, epoch time.Time, mode TimeMode) *Writer {
	return &Writer{tw: tar.NewWriter(w), epoch: epoch, mode: mode}
}

// WriteEntry writes h's canonical header and, for a regular file, h.Size
// bytes of body.
func (w *Writer) WriteEntry(h *tar.Header, body io.Reader) error {
	c := Header(h, w.epoch, w.mode)
	if err := w.tw.WriteHeader(c); err != nil {
		return fmt.Errorf("writing %s: %w", c.Name, err)
	}
	if c.Typeflag != tar.TypeReg || c.Size == 0 {
		return nil
	}
	if _, err := io.CopyN(w.tw, body, c.Size); err != nil {
		return fmt.Errorf("writing %s: %w", c.Name, err)
	}
	return nil
}

// Close writes the tar footer; it does not close the underlying writer.
func (w *Writer) Close() error { return w.tw.Close() }

// Entry is one file system object of a layer: its header and, for a
// regular file, its Header.Size bytes of content.
type Entry struct {
	Header *tar.Header
	Body   io.Reader
}

// Write writes entries, keyed by CleanName, as one tar stream: sorted by
// name in byte order with the root (".") first, so parents precede their
// children; hard links relinked (Relink); every header canonical.
// entries is not changed.
func Write(w io.Writer, entries map[string]*Entry, epoch time.Time, mode TimeMode) error {
	m := make(map[string]*Entry, len(entries))
	names := make([]string, 0, len(entries))
	for n, e := range entries {
		m[n] = e
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if names[i] == "." || names[j] == "." {
			return names[i] == "." && names[j] != "."
		}
		return names[i] < names[j]
	})
	Relink(names, m)
	tw := NewWriter(w, epoch, mode)
	for _, n := range names {
		e := m[n]
		if err := tw.WriteEntry(e.Header, e.Body); err != nil {
			return err
		}
	}
	return tw.Close()
}
