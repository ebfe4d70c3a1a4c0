package main

import (
	"context"
	"fmt"
	"path/filepath"

	"dagger/immutable/provision"
	"dagger/immutable/provision/bases"
)

// basesUpStep is `up`'s last step: the pinned Node base images.
var basesUpStep = provision.Step{
	Name: "bases",
	Doc:  "pinned Node runtime and builder images (baselock/bases.lock)",
	Run:  basesStep,
}

func basesStep(ctx context.Context, cfg provision.Config) error {
	root, err := provision.RepoRoot()
	if err != nil {
		return err
	}
	lock := filepath.Join(root, bases.DefaultLockPath)
	if basesFrom != "" {
		l, err := bases.LoadLock(lock)
		if err != nil {
			return err
		}
		if l, err = bases.Load(ctx, basesFrom, cfg.RegistryRef(), l); err != nil {
			return err
		}
		fmt.Fprintf(cfg.Log, "    loaded %s and %s from %s\n", l.RuntimeRef(), l.BuilderRef(), basesFrom)
		return nil
	}
	if bases.Present(ctx, cfg.RegistryRef(), lock) {
		return provision.ErrReused
	}
	_, err = bases.Ensure(ctx, bases.Options{Registry: cfg.RegistryRef(), LockPath: lock, Log: cfg.Log})
	return err
}
