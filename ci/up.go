package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"dagger/immutable/provision"
)

// upConfig is provision.DefaultConfig plus the project's own steps, in
// the order `up` runs them around the built-in ones (engine binaries,
// engine, registry):
//
//   - before the engine starts: the Go SDK runtime image (goSDKImageStep,
//     which sets the engine's DAGGER_GO_SDK_MANIFEST_DIGEST);
//   - after the registry is up: the pinned Node base images (basesStep).
func upConfig() provision.Config {
	cfg := provision.DefaultConfig()
	cfg.BeforeEngine = append(cfg.BeforeEngine, goSDKImageStep)
	cfg.AfterRegistry = append(cfg.AfterRegistry, basesUpStep)
	return cfg
}

// noArgs parses a verb's arguments, which must be empty (-h prints that).
func noArgs(verb string, args []string) error {
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "usage: go run ./ci %s (no flags)\n", verb) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q", verb, fs.Args())
	}
	return nil
}

// cmdUp provisions the engine, the registry and the steps upConfig adds
// (idempotent; see package provision). --bases-from first loads the base
// images from an archive that `go run ./ci bases save` wrote on another
// machine, so nothing is built or downloaded for them.
func cmdUp(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	from := fs.String("bases-from", "", "load the base images from this archive (written by go run ./ci bases save FILE on another machine) instead of building them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("up: unexpected arguments %q", fs.Args())
	}
	basesFrom = *from
	return provision.Up(ctx, upConfig())
}

// cmdEnv prints `export KEY='VALUE'` lines for a shell to use the engine and
// registry: eval "$(go run ./ci env)".
func cmdEnv(ctx context.Context, args []string) error {
	if err := noArgs("env", args); err != nil {
		return err
	}
	for _, kv := range upConfig().Env() {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(os.Stdout, "export %s=%s\n", k, shellQuote(v))
	}
	return nil
}

// cmdDown stops the engine and the registry that `up` started.
func cmdDown(ctx context.Context, args []string) error {
	if err := noArgs("down", args); err != nil {
		return err
	}
	return provision.Down(ctx, upConfig())
}

// shellQuote single-quotes s for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
