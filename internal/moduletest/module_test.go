package moduletest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
)

// dagger runs the dagger CLI against the test engine and returns stdout;
// on failure the error carries stderr's tail.
func daggerCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dagger", args...)
	cmd.Dir = testenv.Root()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s := stderr.String()
		if len(s) > 3000 {
			s = s[len(s)-3000:]
		}
		return string(out), fmt.Errorf("dagger %s: %w\n%s", strings.Join(args, " "), err, s)
	}
	return string(out), nil
}

// TestModuleFunctions: the module loads and lists its functions.
func TestModuleFunctions(t *testing.T) {
	testenv.Require(t)
	out, err := daggerCLI(t, "-m", ".", "functions")
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"build", "test", "verify", "release", "releases", "rollback"} {
		if !strings.Contains(out, fn) {
			t.Errorf("dagger functions does not list %s:\n%s", fn, out)
		}
	}
}

// TestModuleMissingArgument: a missing required argument is named.
func TestModuleMissingArgument(t *testing.T) {
	testenv.Require(t)
	_, err := daggerCLI(t, "-m", ".", "call", "release")
	if err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("dagger call release without --version: %v, want an error naming --version", err)
	}
}

// TestModuleReleaseMatchesCI: `dagger call release` and `go run ./ci
// release` give the same digest for the same source and inputs, and the
// consumer example module releases its own app through this one.
func TestModuleReleaseMatchesCI(t *testing.T) {
	reg := testenv.Registry(t)
	n := time.Now().UnixNano()
	// --env and --version-path: both doors write the same config and smoke
	// test the fixture's /version the same way.
	common := []string{"--revision", "e2e", "--source-date-epoch", "1704067200", "--version-path", "/version", "--env", "GREETING=both-doors"}
	out, err := daggerCLI(t, append(append([]string{"-m", ".", "call"}, common...),
		"release", "--version", "1.0.0", "--format", "json",
		"--registry", fmt.Sprintf("%s/e2e-module-%d", reg, n), "--registry-service", "tcp://"+reg)...)
	if err != nil {
		t.Fatal(err)
	}
	var viaModule struct{ Digest string }
	if err := json.Unmarshal([]byte(out), &viaModule); err != nil || viaModule.Digest == "" {
		t.Fatalf("module release output is not a report with a digest (%v):\n%s", err, out)
	}

	ci := exec.Command("go", append(append([]string{"run", "./ci", "release"}, common...),
		"--version", "1.0.0", "--json", "--registry", fmt.Sprintf("%s/e2e-ci-%d", reg, n))...)
	ci.Dir = testenv.Root()
	ci.Stderr = os.Stderr
	ciOut, err := ci.Output()
	if err != nil {
		t.Fatalf("go run ./ci release: %v", err)
	}
	var viaCI struct{ Digest string }
	if err := json.Unmarshal(ciOut, &viaCI); err != nil {
		t.Fatalf("ci release output: %v\n%s", err, ciOut)
	}
	if viaModule.Digest != viaCI.Digest {
		t.Errorf("dagger call release digest %s != go run ./ci release digest %s", viaModule.Digest, viaCI.Digest)
	}

	t.Run("consumer example", func(t *testing.T) {
		out, err := daggerCLI(t, "-m", "examples/consumer", "call", "release", "--version", "1.0.0",
			"--registry", fmt.Sprintf("%s/e2e-consumer-%d", reg, n), "--registry-service", "tcp://"+reg)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "pinned:") || !strings.Contains(out, "@sha256:") {
			t.Errorf("consumer release printed no pinned reference:\n%s", out)
		}
	})
}
