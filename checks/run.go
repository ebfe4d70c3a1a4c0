package checks

import (
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Result is the outcome of one rule.
type Result struct {
	// Name is one of the Rule* constants.
	Name string `json:"name"`
	// Passed is true when the image satisfies the rule.
	Passed bool `json:"passed"`
	// Details says what was checked, or every problem found.
	Details string `json:"details"`
	// Findings are what the rule found that does not block: warnings,
	// accepted findings and stale AcceptFile entries.
	Findings []Finding `json:"findings,omitempty"`
}

// Run checks img against every rule and returns one Result per rule, in
// the order of the Rule* constants, and an error joining every failed
// rule ("<rule>: <details>"), nil when all pass. An image that cannot be
// read gives no results and that error.
func Run(img v1.Image, o Options) ([]Result, error) {
	o = o.withDefaults()
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("checks: reading config: %w", err)
	}
	s, err := scanImage(img, o)
	if err != nil {
		return nil, fmt.Errorf("checks: %w", err)
	}
	results := []Result{
		nonRoot(cf, s),
		noDevDependencies(s, o),
		noSecrets(cf, s, o),
		labels(cf, o),
		noNPMCache(s),
	}
	var errs []error
	for _, r := range results {
		if !r.Passed {
			errs = append(errs, fmt.Errorf("%s: %s", r.Name, r.Details))
		}
	}
	return results, errors.Join(errs...)
}

func result(name string, problems []string, ok string) Result {
	if len(problems) == 0 {
		return Result{Name: name, Passed: true, Details: ok}
	}
	const max = 20
	if len(problems) > max {
		problems = append(problems[:max:max], fmt.Sprintf("... and %d more", len(problems)-max))
	}
	return Result{Name: name, Details: strings.Join(problems, "; ")}
}
