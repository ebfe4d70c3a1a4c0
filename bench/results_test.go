package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAppendResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.tsv")
	run := Stamp{Date: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), Commit: "abc1234", Machine: "m"}
	figs := []Figure{
		{Key: "verify", Unit: "s", Ours: Sample{12, 13}, Baseline: Sample{10, 10}, Target: 1.5},
		{Key: "noop-ci", Unit: "s", Ours: Sample{1, 3, 2}, Target: 2},
	}
	for i := 0; i < 2; i++ {
		if err := AppendResults(path, run, figs); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	want := []string{
		ResultsHeader,
		"2026-12-01T12:00:00Z\tabc1234\tm\tverify\t2\t12.000\t12.500\t10.000\t10.000\ts\t1.250\t1.50\ttrue",
		"2026-12-01T12:00:00Z\tabc1234\tm\tnoop-ci\t3\t1.000\t2.000\t-\t-\ts\t2.000\t2.00\ttrue",
	}
	if len(lines) != 5 || lines[0] != want[0] || lines[1] != want[1] || lines[2] != want[2] || lines[3] != want[1] {
		t.Errorf("results file:\n%s\nwant the header once, then per run:\n%s", b, strings.Join(want, "\n"))
	}
	for _, l := range lines {
		if n := strings.Count(l, "\t"); n != strings.Count(ResultsHeader, "\t") {
			t.Errorf("line has %d tabs, header %d: %q", n, strings.Count(ResultsHeader, "\t"), l)
		}
	}
	if m := Machine(); !strings.Contains(m, " x ") {
		t.Errorf("Machine() = %q", m)
	}
}
