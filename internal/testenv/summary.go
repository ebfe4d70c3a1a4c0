package testenv

import (
	"fmt"
	"os"
	"testing"
)

// SummaryEnv names the file that collects the suite's summary lines.
// `go run ./ci test` sets it and prints the lines when go test ends, so
// the figures show even though go test hides the output of passing tests.
const SummaryEnv = "IMMUTABLE_SUMMARY"

// Summary records one summary line for a category of the reliability
// suite, e.g. Summary(t, "faults", "%d injected, %d survived, %d partial tags", ...).
// The line is logged and, under `go run ./ci test`, appended to the
// summary file.
func Summary(t testing.TB, category, format string, args ...any) {
	t.Helper()
	line := category + ": " + fmt.Sprintf(format, args...)
	t.Log(line)
	path := os.Getenv(SummaryEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("summary: %v", err)
		return
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, line); err != nil {
		t.Errorf("summary: %v", err)
	}
}
