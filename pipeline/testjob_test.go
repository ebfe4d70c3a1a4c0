package pipeline

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"dagger/immutable/checks"
	"dagger/immutable/nodeapp"
)

func TestTestJobNames(t *testing.T) {
	var findings []checks.Finding
	var names []string
	for _, j := range testJobs(nil, &Build{}, &findings) {
		names = append(names, j.name)
	}
	if !reflect.DeepEqual(names, TestJobNames) {
		t.Errorf("test jobs %v, TestJobNames %v", names, TestJobNames)
	}
	if _, err := TestJob(context.Background(), nil, &Build{}, nil, "nope"); err == nil {
		t.Error(`TestJob("nope") gave no error`)
	}
}

// TestNpmInitTestSkipped: npm init's placeholder test script is reported
// as skipped, with the reason, before anything runs (no dev container);
// any other test script is not.
func TestNpmInitTestSkipped(t *testing.T) {
	for _, tc := range []struct {
		script string
		skip   bool
	}{
		{`echo "Error: no test specified" && exit 1`, true},
		{`echo "Error: no test specified"  &&  exit 1`, true},
		{`node --test`, false},
		{`echo "Error: no test specified" && exit 1 || true`, false},
	} {
		if got := isNpmInitTest(tc.script); got != tc.skip {
			t.Errorf("isNpmInitTest(%q) = %v, want %v", tc.script, got, tc.skip)
		}
	}
	b := &Build{App: &nodeapp.App{Scripts: map[string]string{"test": npmInitTest}}}
	skip, err := npmScript(context.Background(), b, "test")
	if err != nil || !strings.Contains(skip, "npm init's placeholder") {
		t.Errorf("npmScript = %q, %v; want skipped as npm init's placeholder", skip, err)
	}
}
