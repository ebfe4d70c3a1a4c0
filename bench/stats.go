package bench

import (
	"fmt"
	"slices"
)

// Sample is one side of a figure: every run's measurement, in run order.
type Sample []float64

// Min is the smallest measurement (0 for none).
func (s Sample) Min() float64 {
	if len(s) == 0 {
		return 0
	}
	return slices.Min(s)
}

// Median is the middle measurement, the mean of the two middle ones for an
// even count (0 for none).
func (s Sample) Median() float64 {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	n := len(c)
	if n%2 == 1 {
		return c[n/2]
	}
	return (c[n/2-1] + c[n/2]) / 2
}

// Figure is one benchmark: our measurements against a baseline's from the
// same runs (the target is then a ratio of medians), or alone against an
// absolute target (Baseline empty).
type Figure struct {
	// Key names the figure in the results file, e.g. "verify".
	Key string
	// Name says what is compared, e.g. "verify vs one cold build".
	Name string
	// Unit of the samples: "s" or "MB".
	Unit string
	// Ours and Baseline are the measurements, one per run.
	Ours, Baseline Sample
	// Target is the highest acceptable ratio of medians (Ours/Baseline),
	// or, without a baseline, the highest acceptable median of Ours.
	Target float64
	// Notes are printed under the table (what the baseline is, extra
	// measurements).
	Notes []string
}

// Relative reports whether the figure has a baseline.
func (f Figure) Relative() bool { return len(f.Baseline) > 0 }

// Value is what the target applies to: the ratio of medians, or our
// median.
func (f Figure) Value() float64 {
	if f.Relative() {
		return f.Ours.Median() / f.Baseline.Median()
	}
	return f.Ours.Median()
}

// Met reports whether Value is within Target.
func (f Figure) Met() bool { return f.Value() <= f.Target }

// Verdict says whether the target is met and by how much it is missed.
func (f Figure) Verdict() string {
	v := f.Value()
	if f.Relative() {
		if f.Met() {
			return fmt.Sprintf("met (%.2fx <= %.2fx)", v, f.Target)
		}
		return fmt.Sprintf("MISSED by %.2fx (%.2fx > %.2fx; %.1f%% over)", v-f.Target, v, f.Target, 100*(v/f.Target-1))
	}
	if f.Met() {
		return fmt.Sprintf("met (%.2f%s <= %.2f%s)", v, f.Unit, f.Target, f.Unit)
	}
	return fmt.Sprintf("MISSED by %.2f%s (%.2f%s > %.2f%s)", v-f.Target, f.Unit, v, f.Unit, f.Target, f.Unit)
}
