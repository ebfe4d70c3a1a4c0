package repro

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Report is the result of Diff. Its JSON form is the machine-readable diff
// report; String is the human one.
type Report struct {
	// Equal is true when the two image digests are the same.
	Equal bool `json:"equal"`
	A     Side `json:"a"`
	B     Side `json:"b"`
	// Manifest lists differing manifest fields other than config and layers
	// (media type, annotations, ...), which Config and Layers cover.
	Manifest []FieldDiff `json:"manifest,omitempty"`
	// Config lists differing config fields.
	Config []FieldDiff `json:"config,omitempty"`
	// Layers lists the layers whose blobs differ, by index.
	Layers []LayerDiff `json:"layers,omitempty"`
}

// Side summarizes one of the compared images.
type Side struct {
	Digest       string `json:"digest"`
	ConfigDigest string `json:"config_digest"`
	MediaType    string `json:"media_type"`
	Layers       int    `json:"layers"`
}

// FieldDiff is one differing JSON field. Path is like
// `history[2].created` or `config.Labels["org.opencontainers.image.created"]`;
// OnlyIn is "a" or "b" when the field exists on one side only.
type FieldDiff struct {
	Path   string          `json:"path"`
	A      json.RawMessage `json:"a,omitempty"`
	B      json.RawMessage `json:"b,omitempty"`
	OnlyIn string          `json:"only_in,omitempty"`
}

// LayerDiff describes a layer position whose blobs differ. A or B is nil
// when the image has no layer at Index. SameContent means the diff_ids
// match: the files are identical and only the compression differs.
type LayerDiff struct {
	Index        int        `json:"index"`
	A            *LayerInfo `json:"a,omitempty"`
	B            *LayerInfo `json:"b,omitempty"`
	SameContent  bool       `json:"same_content"`
	Files        []FileDiff `json:"files,omitempty"`
	FilesOmitted int        `json:"files_omitted,omitempty"`
}

// LayerInfo identifies one layer blob.
type LayerInfo struct {
	Digest    string `json:"digest"`
	DiffID    string `json:"diff_id"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
}

// FileDiff is one path that differs inside a layer. Change is "modified",
// "only-in-a" or "only-in-b"; Fields names what differs for "modified"
// (type, size, mode, mtime, uid, gid, uname, gname, linkname, sha256).
type FileDiff struct {
	Path   string    `json:"path"`
	Change string    `json:"change"`
	Fields []string  `json:"fields,omitempty"`
	A      *FileInfo `json:"a,omitempty"`
	B      *FileInfo `json:"b,omitempty"`
	// Hint names a known cause of the difference and its fix ("" when the
	// path matches no known pattern).
	Hint string `json:"hint,omitempty"`
}

// FileInfo is a tar entry's metadata and, for regular files, the sha256 of
// its content.
type FileInfo struct {
	Type     string    `json:"type"`
	Size     int64     `json:"size"`
	Mode     string    `json:"mode"`
	ModTime  time.Time `json:"mtime"`
	UID      int       `json:"uid"`
	GID      int       `json:"gid"`
	Uname    string    `json:"uname,omitempty"`
	Gname    string    `json:"gname,omitempty"`
	Linkname string    `json:"linkname,omitempty"`
	SHA256   string    `json:"sha256,omitempty"`
}

// JSON returns the report as indented JSON.
func (r *Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// String returns the human-readable report: one PASS line, or a FAIL line
// followed by the differing config fields, layers and files.
func (r *Report) String() string {
	if r.Equal {
		return "PASS digest " + r.A.Digest
	}
	var b strings.Builder
	fmt.Fprintf(&b, "FAIL digest %s != %s\n", r.A.Digest, r.B.Digest)
	writeFields(&b, "manifest", r.Manifest)
	writeFields(&b, "config", r.Config)
	for _, l := range r.Layers {
		switch {
		case l.A == nil:
			fmt.Fprintf(&b, "layer %d: only in b (diff_id %s)\n", l.Index, l.B.DiffID)
		case l.B == nil:
			fmt.Fprintf(&b, "layer %d: only in a (diff_id %s)\n", l.Index, l.A.DiffID)
		case l.SameContent:
			fmt.Fprintf(&b, "layer %d: same files (diff_id %s), compressed blobs differ: %s != %s\n", l.Index, l.A.DiffID, l.A.Digest, l.B.Digest)
		default:
			fmt.Fprintf(&b, "layer %d: diff_id %s != %s\n", l.Index, l.A.DiffID, l.B.DiffID)
		}
		for _, f := range l.Files {
			b.WriteString("  " + f.String() + "\n")
			if f.Hint != "" {
				b.WriteString("    hint: " + f.Hint + "\n")
			}
		}
		if l.FilesOmitted > 0 {
			fmt.Fprintf(&b, "  ... %d more files differ\n", l.FilesOmitted)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func writeFields(b *strings.Builder, section string, fs []FieldDiff) {
	if len(fs) == 0 {
		return
	}
	b.WriteString(section + ":\n")
	for _, f := range fs {
		switch f.OnlyIn {
		case "a":
			fmt.Fprintf(b, "  %s: only in a: %s\n", f.Path, short(f.A))
		case "b":
			fmt.Fprintf(b, "  %s: only in b: %s\n", f.Path, short(f.B))
		default:
			fmt.Fprintf(b, "  %s: %s != %s\n", f.Path, short(f.A), short(f.B))
		}
	}
}

func short(v json.RawMessage) string {
	s := string(v)
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// String describes one differing file on one line.
func (f FileDiff) String() string {
	switch f.Change {
	case "only-in-a":
		return fmt.Sprintf("only in a: %s (%s)", f.Path, f.A.summary())
	case "only-in-b":
		return fmt.Sprintf("only in b: %s (%s)", f.Path, f.B.summary())
	}
	parts := make([]string, 0, len(f.Fields))
	for _, field := range f.Fields {
		parts = append(parts, fmt.Sprintf("%s %s != %s", field, f.A.field(field), f.B.field(field)))
	}
	return fmt.Sprintf("modified %s: %s", f.Path, strings.Join(parts, ", "))
}

func (i *FileInfo) summary() string {
	s := fmt.Sprintf("%s %s %d bytes %d:%d mtime %s", i.Type, i.Mode, i.Size, i.UID, i.GID, i.ModTime.Format(time.RFC3339))
	if i.SHA256 != "" {
		s += " sha256 " + i.SHA256[:12]
	}
	return s
}

func (i *FileInfo) field(name string) string {
	switch name {
	case "type":
		return i.Type
	case "size":
		return fmt.Sprint(i.Size)
	case "mode":
		return i.Mode
	case "mtime":
		return i.ModTime.Format(time.RFC3339Nano)
	case "uid":
		return fmt.Sprint(i.UID)
	case "gid":
		return fmt.Sprint(i.GID)
	case "uname":
		return fmt.Sprintf("%q", i.Uname)
	case "gname":
		return fmt.Sprintf("%q", i.Gname)
	case "linkname":
		return fmt.Sprintf("%q", i.Linkname)
	case "sha256":
		if len(i.SHA256) > 12 {
			return i.SHA256[:12]
		}
		return fmt.Sprintf("%q", i.SHA256)
	}
	return "?"
}
