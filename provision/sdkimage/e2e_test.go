package sdkimage

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// daggerCLI returns the dagger binary for end-to-end tests, skipping (or
// failing, with IMMUTABLE_E2E=1) when the engine env is missing.
func daggerCLI(t *testing.T) string {
	t.Helper()
	host := os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST")
	cli := os.Getenv("_EXPERIMENTAL_DAGGER_CLI_BIN")
	if cli == "" {
		cli, _ = exec.LookPath("dagger")
	}
	if host == "" || cli == "" {
		if os.Getenv("IMMUTABLE_E2E") == "1" {
			t.Fatalf("IMMUTABLE_E2E=1 but the engine env is missing (_EXPERIMENTAL_DAGGER_RUNNER_HOST=%q, dagger CLI %q)", host, cli)
		}
		t.Skip("engine env missing: run `go run ./ci test`")
	}
	return cli
}

func runDagger(t *testing.T, cli, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DAGGER_NO_NAG=1", "DO_NOT_TRACK=1", "NO_COLOR=1")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("dagger %s: %.1fs", strings.Join(args, " "), time.Since(start).Seconds())
	if err != nil {
		t.Fatalf("dagger %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestE2EGoModuleFunctions proves the engine runs Go SDK modules with the
// built-in SDK image: a new module from `dagger init --sdk=go` loads and
// lists its generated functions.
func TestE2EGoModuleFunctions(t *testing.T) {
	cli := daggerCLI(t)
	dir := filepath.Join(t.TempDir(), "hello")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	runDagger(t, cli, dir, "init", "--sdk=go", "--name=hello", "--progress=plain")
	out := runDagger(t, cli, dir, "-m", dir, "functions", "--progress=plain")
	for _, fn := range []string{"container-echo", "grep-dir"} {
		if !strings.Contains(out, fn) {
			t.Errorf("functions output lacks %q:\n%s", fn, out)
		}
	}
}
