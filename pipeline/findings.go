package pipeline

import (
	"fmt"
	"io"

	"dagger/immutable/checks"
	"dagger/immutable/publish"
)

// recordFindings converts the checks' non-blocking findings for the
// release record.
func recordFindings(fs []checks.Finding) []publish.Finding {
	out := make([]publish.Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, publish.Finding{Status: f.Status, Rule: f.Rule, Path: f.Path, What: f.What, Reason: f.Reason})
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// findingsSummary counts findings by status: "1 warning, 2 accepted" ("" for
// none).
func findingsSummary(fs []checks.Finding) string {
	n := map[string]int{}
	for _, f := range fs {
		n[f.Status]++
	}
	s := ""
	for _, st := range []string{checks.StatusWarning, checks.StatusAccepted, checks.StatusStale} {
		if n[st] == 0 {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d %s", n[st], st)
	}
	return s
}

// formatFindings writes the non-blocking findings, one a line.
func formatFindings(w io.Writer, fs []checks.Finding) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintf(w, "  findings (not blocking; accept one in %s with a reason):\n", checks.AcceptFile)
	for _, f := range fs {
		fmt.Fprintf(w, "    %-8s %s %s: %s", f.Status, f.Rule, f.Path, f.What)
		if f.Reason != "" {
			fmt.Fprintf(w, " (reason: %s)", f.Reason)
		}
		fmt.Fprintln(w)
	}
}
