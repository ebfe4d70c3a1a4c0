package pipeline_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dagger/immutable/baselock"
	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
)

// golden is fixtures/golden.json: the fixture's expected digest for the
// pinned bases and the committed source, and the index digests of the
// multi-platform fixtures.
type golden struct {
	Version         string `json:"version"`
	Revision        string `json:"revision"`
	SourceDateEpoch int64  `json:"sourceDateEpoch"`
	RuntimeBase     string `json:"runtimeBase"`
	Digest          string `json:"digest"`
	MultiPlatform   struct {
		Platforms []string          `json:"platforms"`
		Digests   map[string]string `json:"digests"`
	} `json:"multiPlatform"`
}

// readGolden reads fixtures/golden.json and checks it is for the locked
// runtime base.
func readGolden(t *testing.T) golden {
	t.Helper()
	var g golden
	b, err := os.ReadFile(testenv.Path("fixtures", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if rt := baselock.Default().RuntimeRefIn(pipeline.DefaultBaseRegistry); g.RuntimeBase != rt {
		t.Fatalf("fixtures/golden.json is for runtime base %s but bases.lock has %s: regenerate it with `go run ./ci bases update`", g.RuntimeBase, rt)
	}
	return g
}

// verifyGolden runs Verify on o and fails unless both builds give want.
func verifyGolden(t *testing.T, o pipeline.BuildOptions, want string) {
	t.Helper()
	c := testenv.Client(t)
	report, err := pipeline.Verify(ctx(t), c, o, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	report.Format(&out)
	t.Log(out.String())
	if !report.Equal {
		t.Fatalf("builds differ:\n%s", out.String())
	}
	if report.First != want {
		t.Errorf("digest = %s, want golden %s (fixtures/golden.json)", report.First, want)
	}
}

// TestVerifyGolden: two independent builds of the fixture (the second with
// every step re-run) give the same digest, and it is the committed golden
// digest: the same on every machine.
func TestVerifyGolden(t *testing.T) {
	c := testenv.Client(t)
	g := readGolden(t)
	o := options(c, testenv.Path("fixtures", "app"), g.Version)
	o.Revision = g.Revision
	verifyGolden(t, o, g.Digest)
}

// TestVerifyCatchesNondeterminism: install steps that write the time or
// random bytes make verify FAIL with a report naming the file.
func TestVerifyCatchesNondeterminism(t *testing.T) {
	c := testenv.Client(t)
	for _, tc := range []struct {
		name, script, file string
	}{
		{"date", `node -e \"require('fs').writeFileSync('node_modules/build-stamp.txt', String(Date.now()))\"`, "app/node_modules/build-stamp.txt"},
		{"random", `node -e \"require('fs').writeFileSync('node_modules/random.bin', require('crypto').randomBytes(32))\"`, "app/node_modules/random.bin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := variant(t, func(dir string) {
				replaceIn(t, filepath.Join(dir, "package.json"), `"start": "node app.js",`, `"start": "node app.js", "postinstall": "`+tc.script+`",`)
			})
			report, err := pipeline.Verify(ctx(t), c, options(c, dir, "1.0.0"), t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if report.Equal {
				t.Fatalf("verify passed for a nondeterministic build: %s", report.First)
			}
			var out strings.Builder
			report.Format(&out)
			if !strings.Contains(out.String(), "FAIL") || !strings.Contains(out.String(), tc.file) {
				t.Errorf("report does not name %s:\n%s", tc.file, out.String())
			}
			js, err := json.Marshal(report)
			if err != nil || !strings.Contains(string(js), tc.file) {
				t.Errorf("JSON report does not name %s (err %v)", tc.file, err)
			}
		})
	}
}
