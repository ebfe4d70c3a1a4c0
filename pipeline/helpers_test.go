package pipeline_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
)

// goldenEpoch is the SOURCE_DATE_EPOCH of the golden build.
var goldenEpoch = time.Unix(1704067200, 0).UTC()

// variant copies fixtures/app to a temporary directory and applies edit.
func variant(t *testing.T, edit func(dir string)) string {
	t.Helper()
	dst := testenv.CopyFixture(t, "app")
	if edit != nil {
		edit(dst)
	}
	return dst
}

// replaceIn edits a file of a variant, failing if old is absent.
func replaceIn(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// options are the build inputs of the fixture, from dir, with the default
// bases (resolved by the pipeline) and the golden epoch; the smoke test
// checks the fixture's /version.
func options(c *dagger.Client, dir, version string) pipeline.BuildOptions {
	return pipeline.BuildOptions{
		Source:   c.Host().Directory(dir),
		Version:  version,
		Revision: "test",
		Epoch:    goldenEpoch,
		Smoke:    pipeline.SmokeOptions{VersionPath: "/version"},
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	return c
}
