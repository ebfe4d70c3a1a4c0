package scan

import (
	"fmt"
	"math"
	"strings"
)

// Severity is an advisory's severity bucket, ordered.
type Severity int

// Severities, lowest first.
const (
	Unknown Severity = iota
	Low
	Medium
	High
	Critical
	// Never is a threshold above every severity: nothing fails.
	Never
)

var severityNames = map[Severity]string{
	Unknown: "UNKNOWN", Low: "LOW", Medium: "MEDIUM", High: "HIGH", Critical: "CRITICAL", Never: "NONE",
}

func (s Severity) String() string { return severityNames[s] }

// MarshalText writes the name, e.g. "HIGH".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what ParseSeverity accepts.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// ParseSeverity reads a severity or threshold name, case-insensitively:
// unknown, low, medium (or moderate), high, critical, none.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "UNKNOWN":
		return Unknown, nil
	case "LOW":
		return Low, nil
	case "MEDIUM", "MODERATE":
		return Medium, nil
	case "HIGH":
		return High, nil
	case "CRITICAL":
		return Critical, nil
	case "NONE", "NEVER":
		return Never, nil
	}
	return Unknown, fmt.Errorf("severity %q: want low, medium, high, critical or none", s)
}

// bucket maps a CVSS base score to its qualitative rating.
func bucket(score float64) Severity {
	switch {
	case score >= 9.0:
		return Critical
	case score >= 7.0:
		return High
	case score >= 4.0:
		return Medium
	case score > 0:
		return Low
	}
	return Unknown
}

// severityOf is the advisory's severity: the GitHub database's rating, else
// the highest CVSS rating (advisory level, then per affected package).
func severityOf(a *Advisory, af *Affected) Severity {
	if s := a.DatabaseSpecific.Severity; s != "" {
		if v, err := ParseSeverity(s); err == nil && v != Never {
			return v
		}
	}
	best := Unknown
	scores := append(append([]SeverityScore(nil), a.Severity...), af.Severity...)
	for _, sc := range scores {
		var s Severity
		switch sc.Type {
		case "CVSS_V3":
			if score, err := CVSS3Score(sc.Score); err == nil {
				s = bucket(score)
			}
		case "CVSS_V4":
			s = cvss4Approx(sc.Score)
		}
		if s > best {
			best = s
		}
	}
	return best
}

// cvss3Weights are the CVSS v3.x base metric weights.
var cvss3Weights = map[string]map[string]float64{
	"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
	"AC": {"L": 0.77, "H": 0.44},
	"UI": {"N": 0.85, "R": 0.62},
	"C":  {"H": 0.56, "L": 0.22, "N": 0},
	"I":  {"H": 0.56, "L": 0.22, "N": 0},
	"A":  {"H": 0.56, "L": 0.22, "N": 0},
}

// CVSS3Score computes the CVSS v3.0/v3.1 base score of a vector such as
// "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" (specification 3.1,
// section 7).
func CVSS3Score(vector string) (float64, error) {
	m := map[string]string{}
	for i, part := range strings.Split(vector, "/") {
		k, v, ok := strings.Cut(part, ":")
		if !ok || (i == 0 && k != "CVSS") {
			return 0, fmt.Errorf("cvss vector %q: bad part %q", vector, part)
		}
		m[k] = v
	}
	if !strings.HasPrefix(m["CVSS"], "3.") {
		return 0, fmt.Errorf("cvss vector %q: not CVSS v3", vector)
	}
	w := map[string]float64{}
	for k, table := range cvss3Weights {
		v, ok := table[m[k]]
		if !ok {
			return 0, fmt.Errorf("cvss vector %q: bad or missing %s", vector, k)
		}
		w[k] = v
	}
	changed := m["S"] == "C"
	if !changed && m["S"] != "U" {
		return 0, fmt.Errorf("cvss vector %q: bad or missing S", vector)
	}
	switch m["PR"] {
	case "N":
		w["PR"] = 0.85
	case "L":
		w["PR"] = map[bool]float64{false: 0.62, true: 0.68}[changed]
	case "H":
		w["PR"] = map[bool]float64{false: 0.27, true: 0.5}[changed]
	default:
		return 0, fmt.Errorf("cvss vector %q: bad or missing PR", vector)
	}
	iss := 1 - (1-w["C"])*(1-w["I"])*(1-w["A"])
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	if impact <= 0 {
		return 0, nil
	}
	exploit := 8.22 * w["AV"] * w["AC"] * w["PR"] * w["UI"]
	if changed {
		return roundUp(math.Min(1.08*(impact+exploit), 10)), nil
	}
	return roundUp(math.Min(impact+exploit, 10)), nil
}

// roundUp is CVSS 3.1's Roundup: the smallest one-decimal number >= x,
// computed in integers to avoid floating point artefacts.
func roundUp(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// cvss4Approx buckets a CVSS v4 vector without the v4 scoring tables (see
// the package documentation).
func cvss4Approx(vector string) Severity {
	m := map[string]string{}
	for _, part := range strings.Split(vector, "/") {
		k, v, _ := strings.Cut(part, ":")
		m[k] = v
	}
	if !strings.HasPrefix(m["CVSS"], "4.") {
		return Unknown
	}
	high := m["VC"] == "H" || m["VI"] == "H" || m["VA"] == "H" || m["SC"] == "H" || m["SI"] == "H" || m["SA"] == "H"
	low := m["VC"] == "L" || m["VI"] == "L" || m["VA"] == "L" || m["SC"] == "L" || m["SI"] == "L" || m["SA"] == "L"
	easy := m["AV"] == "N" && m["AC"] == "L" && m["AT"] == "N" && m["PR"] == "N" && m["UI"] == "N"
	switch {
	case high && easy:
		return Critical
	case high:
		return High
	case low && easy:
		return Medium
	case low:
		return Low
	}
	return Unknown
}

// ParseFailOn reads a --fail-on value: "" is DefaultFailOn (high); low,
// medium (moderate), high, critical fail on findings at or above it;
// "unknown" fails on every finding; "none" never fails.
func ParseFailOn(s string) (Options, error) {
	if strings.TrimSpace(s) == "" {
		return Options{FailOn: DefaultFailOn}, nil
	}
	v, err := ParseSeverity(s)
	if err != nil {
		return Options{}, fmt.Errorf("--fail-on: %w", err)
	}
	if v == Unknown {
		return Options{FailOnUnknown: true}, nil
	}
	return Options{FailOn: v}, nil
}
