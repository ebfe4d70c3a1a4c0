package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/provision"
)

// cmdTest is the project's whole test suite: provision (idempotent), then
// `go test ./...` with the engine and registry environment set, so the
// end-to-end tests run against the real engine and registry instead of
// skipping. Extra arguments after -- go to `go test`.
func cmdTest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	timeout := fs.String("timeout", "75m", "go test -timeout")
	run := fs.String("run", "", "go test -run pattern")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := upConfig()
	cfg.Log = os.Stderr
	if err := provision.Up(ctx, cfg); err != nil {
		return err
	}
	goArgs := []string{"test", "-count=1", "-timeout", *timeout}
	if *run != "" {
		goArgs = append(goArgs, "-run", *run)
	}
	pkgs := fs.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	goArgs = append(goArgs, pkgs...)
	fmt.Fprintf(os.Stderr, "==> go %s\n", strings.Join(goArgs, " "))
	summary, err := os.CreateTemp("", "immutable-summary-*.txt")
	if err != nil {
		return err
	}
	summary.Close()
	defer os.Remove(summary.Name())
	cmd := exec.CommandContext(ctx, "go", goArgs...)
	cmd.Env = append(os.Environ(), cfg.Env()...)
	cmd.Env = append(cmd.Env, testenv.SummaryEnv+"="+summary.Name())
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	printSummary(summary.Name())
	return err
}

// printSummary prints the guarantees: one line per category whose test
// passed, then the categories whose test failed (their figures are not
// shown) and those that did not report at all.
func printSummary(path string) {
	r, err := testenv.ReadSummary(path)
	if err != nil {
		return
	}
	fmt.Println("==> guarantees")
	for _, l := range r.Passed {
		fmt.Println("    " + l)
	}
	if len(r.Failed) > 0 {
		fmt.Printf("    FAILED, not shown: %s\n", strings.Join(r.Failed, ", "))
	}
	if len(r.Missing) > 0 {
		fmt.Printf("    did not report: %s\n", strings.Join(r.Missing, ", "))
	}
}
