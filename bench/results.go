package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// ResultsHeader is the first line of the results file (tab-separated).
const ResultsHeader = "date\tcommit\tmachine\tbenchmark\truns\tours_min\tours_median\tbaseline_min\tbaseline_median\tunit\tvalue\ttarget\tmet"

// Stamp describes one `go run ./ci bench`: when, which commit, on what.
type Stamp struct {
	Date    time.Time
	Commit  string
	Machine string
}

// AppendResults appends one line per figure of run to the results file at
// path (tab-separated, ResultsHeader first), creating it when needed.
func AppendResults(path string, run Stamp, figs []Figure) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	w := bufio.NewWriter(f)
	if st.Size() == 0 {
		fmt.Fprintln(w, ResultsHeader)
	}
	writeResults(w, run, figs)
	if err := w.Flush(); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return f.Close()
}

func writeResults(w io.Writer, run Stamp, figs []Figure) {
	for _, f := range figs {
		base := func(v float64) string {
			if !f.Relative() {
				return "-"
			}
			return fmt.Sprintf("%.3f", v)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%.3f\t%.3f\t%s\t%s\t%s\t%.3f\t%.2f\t%v\n",
			run.Date.UTC().Format(time.RFC3339), run.Commit, run.Machine, f.Key, len(f.Ours),
			f.Ours.Min(), f.Ours.Median(), base(f.Baseline.Min()), base(f.Baseline.Median()),
			f.Unit, f.Value(), f.Target, f.Met())
	}
}

// Commit is `git rev-parse --short HEAD` in dir, with "+dirty" when the
// working tree has changes ("unknown" without git).
func Commit(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += "+dirty"
	}
	return c
}

// Machine describes this machine in one field: host name, CPU model and
// count, memory, and the load average when the benchmark started (the
// machine may be shared).
func Machine() string {
	host, _ := os.Hostname()
	model := "unknown cpu"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.Join(strings.Fields(v), " ")
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf(", %.1f GB", float64(kb)/1e6)
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%s: %d x %s%s%s, %s/%s", host, runtime.NumCPU(), model, mem, load, runtime.GOOS, runtime.GOARCH)
}
