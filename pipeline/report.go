package pipeline

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"dagger.io/dagger"

	"dagger/immutable/checks"
)

// Job statuses.
const (
	Passed  = "passed"
	Failed  = "failed"
	Skipped = "skipped"
)

// JobResult is the outcome of one test job.
type JobResult struct {
	Name     string        `json:"name"`
	Status   string        `json:"status"`
	Duration time.Duration `json:"durationNs"`
	// Waited is how long the job waited for the image before it ran (when
	// the image was still being made as the stage started).
	Waited time.Duration `json:"waitedNs,omitempty"`
	// Began is when the job started its work, after any wait: a job that
	// began before the image jobs did ran while the image was being made.
	Began time.Time `json:"-"`
	// Detail is the reason for a skip or the tail of a failure's output.
	Detail string `json:"detail,omitempty"`
}

// TestReport is the outcome of the test stage.
type TestReport struct {
	Jobs []JobResult `json:"jobs"`
	// Wall is the stage's wall time; jobs run concurrently.
	Wall time.Duration `json:"wallNs"`
	// Findings are the image checks' findings that do not block:
	// warnings, accepted findings and stale acceptances.
	Findings []checks.Finding `json:"findings,omitempty"`
}

// Err returns an error naming every failed job, or nil.
func (r *TestReport) Err() error {
	var failed []string
	for _, j := range r.Jobs {
		if j.Status == Failed {
			failed = append(failed, j.Name)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return fmt.Errorf("test stage failed: %s", strings.Join(failed, ", "))
}

// Slowest returns the longest time a job took, its wait for the image
// included: the least wall time the stage can have.
func (r *TestReport) Slowest() time.Duration {
	var max time.Duration
	for _, j := range r.Jobs {
		max = maxDuration(max, j.Waited+j.Duration)
	}
	return max
}

// Format writes a table of the jobs, then each failure's output tail.
func (r *TestReport) Format(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tRESULT\tTIME")
	for _, j := range r.Jobs {
		took := j.Duration.Round(time.Millisecond).String()
		if j.Waited >= time.Millisecond {
			took += fmt.Sprintf(" (after %s for the image)", j.Waited.Round(time.Millisecond))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", j.Name, j.Status, took)
	}
	fmt.Fprintf(tw, "(wall)\t\t%s\n", r.Wall.Round(time.Millisecond))
	tw.Flush()
	formatFindings(w, r.Findings)
	for _, j := range r.Jobs {
		if j.Detail != "" && j.Status != Passed {
			fmt.Fprintf(w, "--- %s (%s):\n%s\n", j.Name, j.Status, indent(j.Detail))
		}
	}
}

func (r *TestReport) String() string {
	var b strings.Builder
	r.Format(&b)
	return b.String()
}

// failureDetail returns the last lines of a failed exec's output, or the
// error itself.
func failureDetail(err error) string {
	var ee *dagger.ExecError
	if errors.As(err, &ee) {
		out := strings.TrimSpace(withoutBaseNoise(ee.Stdout + "\n" + ee.Stderr))
		return fmt.Sprintf("exit code %d: %s\n%s", ee.ExitCode, headline(out), tail(out, 25))
	}
	return err.Error()
}

// baseNoise is what npm prints on every run in the project's builder base,
// which sets npm_config_nodedir (node-gyp's headers, offline) that npm 11
// does not know: not the app's output, so not in its failure report.
const baseNoise = `npm warn Unknown env config "nodedir". This will stop working in the next major version of npm.`

// withoutBaseNoise drops baseNoise lines from a command's output.
func withoutBaseNoise(out string) string {
	if !strings.Contains(out, baseNoise) {
		return out
	}
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) != baseNoise {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// errorMarks start the lines of a command's output that say why it failed:
// node's errors, node --test/TAP, jest/vitest and eslint's summaries.
var errorMarks = regexp.MustCompile(`^(\w*Error\b|✖|✗|×|not ok\b|FAIL\b|● |\d+ problems?\b|Cannot find module)`)

// headline is the line of a failed command's output that best says why
// (the one-line summary of a gate): the first that looks like an error or
// a failed test, then one of npm's own error lines, else the last line.
func headline(out string) string {
	lines := strings.Split(out, "\n")
	var npmErr string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case errorMarks.MatchString(l):
			return l
		case npmErr == "" && (strings.HasPrefix(l, "npm error") || strings.HasPrefix(l, "npm ERR!")):
			npmErr = l
		}
	}
	if npmErr != "" {
		return npmErr
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

func maxDuration(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}
