package scan

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Finding is one advisory affecting one installed package.
type Finding struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases,omitempty"`
	Summary   string   `json:"summary,omitempty"`
	Package   string   `json:"package"`
	Ecosystem string   `json:"ecosystem"`
	Purl      string   `json:"purl"`
	Installed string   `json:"installed"`
	// Fixed is the lowest fixed version above Installed, "" if none.
	Fixed    string   `json:"fixed,omitempty"`
	Severity Severity `json:"severity"`
}

// Report is the outcome of a scan.
type Report struct {
	// Image names the scanned image (the SBOM's metadata component).
	Image string `json:"image,omitempty"`
	// DB is the advisory database's path.
	DB string `json:"db"`
	// Advisories is how many advisories the database holds.
	Advisories int `json:"advisories"`
	// Packages is how many packages were checked.
	Packages int `json:"packages"`
	// FailOn is the threshold.
	FailOn        Severity `json:"failOn"`
	FailOnUnknown bool     `json:"failOnUnknown,omitempty"`
	// Findings are sorted by severity (highest first), then ID.
	Findings []Finding `json:"findings"`
}

// Blocking returns the findings at or above the threshold.
func (r *Report) Blocking() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if r.FailOnUnknown || (r.FailOn != Never && f.Severity >= r.FailOn) {
			out = append(out, f)
		}
	}
	return out
}

// Err returns an error naming every finding at or above the threshold,
// or nil.
func (r *Report) Err() error {
	b := r.Blocking()
	if len(b) == 0 {
		return nil
	}
	names := make([]string, len(b))
	for i, f := range b {
		names[i] = f.String()
	}
	return fmt.Errorf("scan: %d %s at or above %s: %s", len(b), plural(len(b), "vulnerability", "vulnerabilities"), r.threshold(), strings.Join(names, "; "))
}

func (r *Report) threshold() string {
	if r.FailOnUnknown {
		return "UNKNOWN"
	}
	return r.FailOn.String()
}

// Counts returns the number of findings per severity name.
func (r *Report) Counts() map[string]int {
	m := map[string]int{}
	for _, f := range r.Findings {
		m[f.Severity.String()]++
	}
	return m
}

// Summary is one line: "2 findings (HIGH 2), 0 at or above HIGH; 3
// advisories, 12 packages".
func (r *Report) Summary() string {
	var parts []string
	counts := r.Counts()
	for s := Critical; s >= Unknown; s-- {
		if n := counts[s.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, n))
		}
	}
	by := ""
	if len(parts) > 0 {
		by = " (" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprintf("%d %s%s, %d at or above %s; %d advisories, %d packages",
		len(r.Findings), plural(len(r.Findings), "finding", "findings"), by, len(r.Blocking()), r.threshold(), r.Advisories, r.Packages)
}

// Format writes the summary and a table of the findings.
func (r *Report) Format(w io.Writer) {
	if r.Image != "" {
		fmt.Fprintf(w, "scan %s\n", r.Image)
	}
	fmt.Fprintf(w, "  %s\n  database: %s\n", r.Summary(), r.DB)
	if len(r.Findings) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tPACKAGE\tINSTALLED\tFIXED\tALIASES")
	for _, f := range r.Findings {
		fixed := f.Fixed
		if fixed == "" {
			fixed = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, f.Severity, f.Package, f.Installed, fixed, strings.Join(f.Aliases, ","))
	}
	tw.Flush()
}

// String is the Format output.
func (r *Report) String() string {
	var b strings.Builder
	r.Format(&b)
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
