package main

import (
	"context"
	"path/filepath"

	"dagger/immutable/provision"
	"dagger/immutable/provision/sdkimage"
)

// goSDKImageStep builds (or reuses) the Go SDK runtime image in the engine's
// builtin content store and hands its digest to the engine, so `dagger call`
// on Go modules works without Docker Hub (see provision/sdkimage).
var goSDKImageStep = provision.Step{
	Name: "go-sdk-image",
	Doc:  "Go SDK runtime image for the engine (" + sdkimage.ManifestDigestEnv + ")",
	Run: func(ctx context.Context, cfg provision.Config) error {
		r, err := sdkimage.EnsureResult(ctx, sdkimage.Options{
			BinDir:   cfg.BinDir(),
			RepoRoot: ".",
			CacheDir: filepath.Join(cfg.Home, "cache", "sdkimage"),
			Log:      cfg.Log,
		})
		if err != nil {
			return err
		}
		cfg.EngineEnv[sdkimage.ManifestDigestEnv] = r.Digest
		if r.Reused {
			return provision.ErrReused
		}
		return nil
	},
}
