package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

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
	cmd := exec.CommandContext(ctx, "go", goArgs...)
	cmd.Env = append(os.Environ(), cfg.Env()...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}
