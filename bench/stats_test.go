package bench

import (
	"strings"
	"testing"
)

func TestSample(t *testing.T) {
	for _, tc := range []struct {
		s        Sample
		min, med float64
	}{
		{nil, 0, 0},
		{Sample{3}, 3, 3},
		{Sample{5, 1, 3}, 1, 3},
		{Sample{4, 1, 3, 2}, 1, 2.5},
	} {
		if tc.s.Min() != tc.min || tc.s.Median() != tc.med {
			t.Errorf("%v: Min, Median = %v, %v; want %v, %v", tc.s, tc.s.Min(), tc.s.Median(), tc.min, tc.med)
		}
	}
	s := Sample{3, 1, 2}
	s.Median()
	if s[0] != 3 {
		t.Error("Median reordered the sample")
	}
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		f    Figure
		met  bool
		want string
	}{
		{Figure{Ours: Sample{12, 14, 13}, Baseline: Sample{10, 10, 11}, Target: 1.5}, true, "met (1.30x <= 1.50x)"},
		{Figure{Ours: Sample{12}, Baseline: Sample{10}, Target: 1.0}, false, "MISSED by 0.20x (1.20x > 1.00x; 20.0% over)"},
		{Figure{Unit: "s", Ours: Sample{1.5, 1.2, 1.9}, Target: 2}, true, "met (1.50s <= 2.00s)"},
		{Figure{Unit: "s", Ours: Sample{2.5, 3, 2.6}, Target: 2}, false, "MISSED by 0.60s (2.60s > 2.00s)"},
	} {
		if tc.f.Met() != tc.met || !strings.HasPrefix(tc.f.Verdict(), tc.want) {
			t.Errorf("%+v: Met %v, Verdict %q; want %v, %q", tc.f, tc.f.Met(), tc.f.Verdict(), tc.met, tc.want)
		}
	}
}
