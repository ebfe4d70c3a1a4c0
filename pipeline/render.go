package pipeline

import (
	"encoding/json"
	"io"
)

// Report is what every flow returns: one text form (Format) and one JSON
// form (its exported fields). Reports of flows that can fail on their own
// findings (tests, verify, scan, verify-release) also have Err.
type Report interface {
	Format(w io.Writer)
}

// Render writes r to w as text, or as indented JSON when asJSON, for both
// doors. It returns the write error, else r's verdict: r.Err() when r has
// one (a failed gate, a finding at the threshold), else nil.
func Render(w io.Writer, r Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		r.Format(w)
	}
	if v, ok := r.(interface{ Err() error }); ok {
		return v.Err()
	}
	return nil
}
