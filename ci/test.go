package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
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

// printSummary prints the reliability suite's summary lines, sorted, if
// any test wrote one.
func printSummary(path string) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	sort.Strings(lines)
	fmt.Println("==> guarantees")
	for _, l := range lines {
		fmt.Println("    " + l)
	}
}
