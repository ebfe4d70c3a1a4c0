package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"dagger/immutable/pipeline"
	"dagger/immutable/provision"
)

// goldenFile is fixtures/golden.json: the fixture's expected digest for the
// committed source and bases.lock. TestVerifyGolden checks every machine
// builds it.
type goldenFile struct {
	Comment         string `json:"comment"`
	Version         string `json:"version"`
	Revision        string `json:"revision"`
	SourceDateEpoch int64  `json:"sourceDateEpoch"`
	RuntimeBase     string `json:"runtimeBase"`
	Digest          string `json:"digest"`
}

// writeGolden builds the fixture with the golden inputs on the current
// bases and rewrites fixtures/golden.json with its digest.
func writeGolden(ctx context.Context) (string, error) {
	root, err := provision.RepoRoot()
	if err != nil {
		return "", err
	}
	g := goldenFile{
		Comment:         "The fixture app's expected image digest for these inputs; the builder base does not change it. Written by `go run ./ci bases update` (after changing fixtures/app or the build: go run ./ci build --version 1.0.0 --revision golden --source-date-epoch 1704067200).",
		Version:         "1.0.0",
		Revision:        "golden",
		SourceDateEpoch: 1704067200,
	}
	bf := buildFlags{source: filepath.Join(root, "fixtures", "app"), version: g.Version, revision: g.Revision, epoch: g.SourceDateEpoch, port: pipeline.DefaultPort}
	err = withBuild(ctx, &bf, func(s *session, o pipeline.BuildOptions) error {
		b, img, err := pipeline.BuildImage(ctx, s.c, o, s.workDir)
		if err != nil {
			return err
		}
		// The runtime base as the build resolved it (the default when none
		// is given).
		g.RuntimeBase, g.Digest = b.Options.RuntimeBase, img.Digest
		return nil
	})
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return "", err
	}
	return g.Digest, os.WriteFile(filepath.Join(root, "fixtures", "golden.json"), append(b, '\n'), 0o644)
}
