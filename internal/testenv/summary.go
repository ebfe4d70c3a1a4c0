package testenv

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// SummaryEnv names the file that collects the suite's summary lines.
// `go run ./ci test` sets it and prints the lines when go test ends, so
// the figures show even though go test hides the output of passing tests.
const SummaryEnv = "IMMUTABLE_SUMMARY"

// Categories are the guarantees the suite reports on, one summary line
// (or more) each; ReadSummary names those that did not report.
var Categories = []string{"bad inputs", "concurrency", "faults", "secrets", "soak"}

// Summary records one summary line for a category of the reliability
// suite, e.g. Summary(t, "faults", "%d injected, %d survived, %d partial tags", ...).
// The line is logged at once; under `go run ./ci test` it is appended to
// the summary file when t ends: as a guarantee when t passed, as a failure
// (the test's name, not the figures) when it did not.
func Summary(t testing.TB, category, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log(category + ": " + line)
	path := os.Getenv(SummaryEnv)
	if path == "" {
		return
	}
	t.Cleanup(func() {
		rec := "pass\t" + category + "\t" + strings.ReplaceAll(line, "\n", " ")
		if t.Failed() {
			rec = "fail\t" + category + "\t" + t.Name()
		}
		if err := appendLine(path, rec); err != nil {
			t.Errorf("summary: %v", err)
		}
	})
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// SummaryReport is what the summary file says.
type SummaryReport struct {
	// Passed are "category: figures" lines of tests that passed, sorted.
	Passed []string
	// Failed are "category (test name)" of tests that reported and failed.
	Failed []string
	// Missing are the Categories with no line at all (their test did not
	// run, was skipped, or died before reporting).
	Missing []string
}

// ReadSummary parses the summary file Summary writes.
func ReadSummary(path string) (*SummaryReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &SummaryReport{}
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		status, rest, _ := strings.Cut(l, "\t")
		category, text, _ := strings.Cut(rest, "\t")
		if category == "" {
			continue
		}
		seen[category] = true
		if status == "pass" {
			r.Passed = append(r.Passed, category+": "+text)
		} else {
			r.Failed = append(r.Failed, category+" ("+text+")")
		}
	}
	for _, c := range Categories {
		if !seen[c] {
			r.Missing = append(r.Missing, c)
		}
	}
	sort.Strings(r.Passed)
	sort.Strings(r.Failed)
	return r, nil
}
