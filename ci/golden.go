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
	// MultiPlatform are the expected image index digests of fixtures
	// built for every supported platform with the same inputs.
	MultiPlatform *goldenMulti `json:"multiPlatform,omitempty"`
}

// goldenMulti is the multi-platform part of fixtures/golden.json.
type goldenMulti struct {
	Platforms []string `json:"platforms"`
	// Digests maps a fixture directory name to its index digest.
	Digests map[string]string `json:"digests"`
}

// multiPlatformFixtures are the fixtures whose index digests are golden:
// the sample app (pure JS, one tree for all platforms) and one with a
// prebuilt platform-specific optional dependency.
var multiPlatformFixtures = []string{"app", "multiarch"}

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
	g.MultiPlatform = &goldenMulti{Platforms: pipeline.SupportedPlatforms, Digests: map[string]string{}}
	for _, fx := range multiPlatformFixtures {
		mf := bf
		mf.source = filepath.Join(root, "fixtures", fx)
		mf.app.platforms = listFlag(pipeline.SupportedPlatforms)
		err := withBuild(ctx, &mf, func(s *session, o pipeline.BuildOptions) error {
			_, img, err := pipeline.BuildImage(ctx, s.c, o, s.workDir)
			if err != nil {
				return err
			}
			g.MultiPlatform.Digests[fx] = img.Digest
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return "", err
	}
	return g.Digest, os.WriteFile(filepath.Join(root, "fixtures", "golden.json"), append(b, '\n'), 0o644)
}
