package testenv

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestSummary: a passing test's line is kept, a failing test's figures are
// not (its name is), and a category that never reported is named.
func TestSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.txt")
	t.Setenv(SummaryEnv, path)
	t.Run("passes", func(t *testing.T) {
		Summary(t, "secrets", "0 leaks in %d layers", 6)
	})
	// A test that fails after reporting, run with a fake testing.TB.
	f := &failingTB{TB: t}
	Summary(f, "faults", "99 injected")
	f.runCleanups()

	r, err := ReadSummary(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &SummaryReport{
		Passed:  []string{"secrets: 0 leaks in 6 layers"},
		Failed:  []string{"faults (TestFaultsRegistry)"},
		Missing: []string{"bad inputs", "concurrency", "soak"},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("ReadSummary = %+v\nwant %+v", r, want)
	}
	if _, err := ReadSummary(filepath.Join(t.TempDir(), "none")); !os.IsNotExist(err) {
		t.Errorf("ReadSummary(missing file) error = %v, want not exist", err)
	}
}

// failingTB is a test that has failed, whose cleanups run on demand.
type failingTB struct {
	testing.TB
	cleanups []func()
}

func (f *failingTB) Failed() bool          { return true }
func (f *failingTB) Name() string          { return "TestFaultsRegistry" }
func (f *failingTB) Log(...any)            {}
func (f *failingTB) Helper()               {}
func (f *failingTB) Cleanup(fn func())     { f.cleanups = append(f.cleanups, fn) }
func (f *failingTB) Errorf(string, ...any) {}
func (f *failingTB) runCleanups() {
	for _, fn := range f.cleanups {
		fn()
	}
}
