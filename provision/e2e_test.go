package provision

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// e2eConfig returns the default config when the engine is up. Without it,
// the test fails under IMMUTABLE_E2E=1 (set by `go run ./ci test`) and is
// skipped otherwise.
func e2eConfig(t *testing.T) Config {
	t.Helper()
	cfg := DefaultConfig()
	if err := dialUnix(cfg.EngineSocket()); err != nil {
		if os.Getenv("IMMUTABLE_E2E") == "1" {
			t.Fatalf("IMMUTABLE_E2E=1 but the engine does not answer on %s: %v", cfg.EngineSocket(), err)
		}
		t.Skip("engine not up: run `go run ./ci test`")
	}
	cfg.Log = t.Output()
	return cfg
}

// startedEngineEnv reads the EngineEnv the running engine was started with
// from its stamp, so Up here asks for the same engine as `ci up` did (whose
// BeforeEngine hooks this package does not know).
func startedEngineEnv(t *testing.T, cfg Config) map[string]string {
	b, err := os.ReadFile(cfg.engineStamp())
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	_, rest, _ := strings.Cut(string(b), "\nenv:\n")
	block, _, _ := strings.Cut(rest, "\nargv: ")
	for _, line := range strings.Split(block, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env
}

func TestE2EUpTwiceIsNoop(t *testing.T) {
	cfg := e2eConfig(t)
	cfg.EngineEnv = startedEngineEnv(t, cfg)
	ctx := context.Background()
	if _, err := UpResults(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	res, err := UpResults(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(Steps(cfg)) {
		t.Fatalf("second Up ran %d steps, want %d", len(res), len(Steps(cfg)))
	}
	for _, r := range res {
		if !r.Reused {
			t.Errorf("second Up: step %s did work (%s), want reused", r.Name, r.Duration)
		}
	}
}

// runScratch builds the static helper in testdata/<helper>, runs it as the
// only file of an otherwise empty container and returns its stdout.
func runScratch(t *testing.T, helper string, args ...string) string {
	t.Helper()
	cfg := e2eConfig(t)
	for _, kv := range cfg.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	// A static binary in an otherwise empty root: no image pull.
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, helper), "./testdata/"+helper)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", helper, err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	client, err := dagger.Connect(ctx, dagger.WithLogOutput(t.Output()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	out, err := client.Container().
		WithRootfs(client.Host().Directory(dir)).
		WithExec(append([]string{"/" + helper}, args...)).
		Stdout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestE2EEngineRunsContainer(t *testing.T) {
	if out, want := runScratch(t, "hello"), "hello from a scratch container\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
}

// TestE2EContainerNetwork proves CNI, the engine's DNS and egress: a
// container resolves and connects to the npm registry.
func TestE2EContainerNetwork(t *testing.T) {
	if out := runScratch(t, "netcheck", "registry.npmjs.org"); !strings.HasPrefix(out, "reached registry.npmjs.org") {
		t.Errorf("stdout = %q, want it to start with %q", out, "reached registry.npmjs.org")
	}
}

func TestE2ERegistryRoundTrip(t *testing.T) {
	cfg := e2eConfig(t)
	ctx := context.Background()
	if err := registryAnswers(ctx, cfg.Registry); err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(cfg.RegistryRef() + "/provision-e2e/random:latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	byDigest := ref.Context().Digest(want.String())
	desc, err := remote.Get(byDigest, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("get %s: %v", byDigest, err)
	}
	if desc.Digest != want {
		t.Errorf("registry returned digest %s, pushed %s", desc.Digest, want)
	}
}
