package pipeline

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"dagger.io/dagger"

	"dagger/immutable/nodeapp"
)

//go:embed startbin.js
var startBinScript string

// resolveStartBin sets app's entrypoint from a start script that runs a
// command by name (app.StartBin, e.g. `next start` in a yarn or pnpm
// project): the bin file of the production dependency that declares the
// command, as installed in prodInstall (working directory /src), with the
// script's words as arguments. Without such a dependency the entrypoint
// stays "main"; without "main" either, it is an error saying what to do.
func resolveStartBin(ctx context.Context, prodInstall *dagger.Container, app *nodeapp.App) error {
	bin := app.StartBin
	out, err := prodInstall.WithExec([]string{"node", "-e", startBinScript, bin.Name}).Stdout(ctx)
	if err != nil {
		return fmt.Errorf("build: resolving the start script's %q: %s", bin.Name, failureDetail(err))
	}
	file := strings.TrimSpace(out)
	if file == "" {
		if app.Entrypoint != "" {
			return nil
		}
		return fmt.Errorf("build: %w: the start script runs %q, which no production dependency provides (a dev tool?): set \"main\" in package.json, a \"start\" or \"start:prod\" script of the form \"node <file>\", or pass --entrypoint <file>", nodeapp.ErrEntrypoint, bin.Name)
	}
	app.Entrypoint = file
	app.Start = &nodeapp.StartCommand{Script: "start", File: file, Args: bin.Args}
	return nil
}
