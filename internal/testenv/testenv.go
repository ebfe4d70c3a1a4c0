// Package testenv connects end-to-end tests to the engine and registry that
// `go run ./ci test` provisions. Outside it (no engine environment) the
// tests skip with a hint; under it (IMMUTABLE_E2E=1) a missing engine is a
// failure, so CI can never pass by skipping.
package testenv

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"dagger.io/dagger"
)

// Require skips the test unless the engine environment is set, and fails it
// when IMMUTABLE_E2E=1 promised one.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST") != "" {
		return
	}
	if os.Getenv("IMMUTABLE_E2E") == "1" {
		t.Fatal("IMMUTABLE_E2E=1 but _EXPERIMENTAL_DAGGER_RUNNER_HOST is not set")
	}
	t.Skip("needs the engine: run `go run ./ci test` (or eval \"$(go run ./ci env)\")")
}

// Client returns a Dagger client closed when the test ends.
func Client(t testing.TB) *dagger.Client {
	t.Helper()
	Require(t)
	out := os.Stderr
	if os.Getenv("IMMUTABLE_PROGRESS") == "" {
		out = nil
	}
	var opts []dagger.ClientOpt
	if out != nil {
		opts = append(opts, dagger.WithLogOutput(out))
	}
	c, err := dagger.Connect(context.Background(), opts...)
	if err != nil {
		t.Fatalf("dagger.Connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Registry is the local registry's name, localhost:5000 by default.
func Registry(t testing.TB) string {
	t.Helper()
	Require(t)
	if r := os.Getenv("IMMUTABLE_REGISTRY"); r != "" {
		return r
	}
	return "localhost:5000"
}

// Root is the repository root.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Path joins elements onto the repository root.
func Path(elem ...string) string {
	return filepath.Join(append([]string{Root()}, elem...)...)
}
