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

// TestModuleFunctions: the module loads and lists every flow, the
// chainable with-registry, and the typed values release returns.
func TestModuleFunctions(t *testing.T) {
	testenv.Require(t)
	out, err := daggerCLI(t, "-m", ".", "functions")
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"build", "test", "verify", "with-registry", "release", "sbom", "scan", "sign", "verify-signature", "verify-release", "releases", "rollback"} {
		if !strings.Contains(out, fn) {
			t.Errorf("dagger functions does not list %s:\n%s", fn, out)
		}
	}
	out, err = daggerCLI(t, "-m", ".", "functions", "release")
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"digest", "ref", "summary", "json", "version"} {
		if !strings.Contains(out, field) {
			t.Errorf("dagger functions release does not list %s:\n%s", field, out)
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

// TestModuleReleaseMatchesCI: one checkout released through both doors
// with no revision or epoch given (each door takes them from git HEAD by
// the same rule) gives one digest: `go run ./ci release` into one
// repository, `dagger call release` into another. Then `dagger call
// release` of the same version into the CLI's repository is a no-op (no
// tag moves, nothing refused as "already released with another digest").
// The consumer example module releases its own app through this one.
func TestModuleReleaseMatchesCI(t *testing.T) {
	reg := testenv.Registry(t)
	n := time.Now().UnixNano()
	cliRepo, modRepo := fmt.Sprintf("%s/e2e-ci-%d", reg, n), fmt.Sprintf("%s/e2e-module-%d", reg, n)
	// --env and --version-path: both doors write the same config and smoke
	// test the fixture's /version the same way.
	common := []string{"--version-path", "/version", "--env", "GREETING=both-doors"}
	ci := exec.Command("go", append(append([]string{"run", "./ci", "release"}, common...),
		"--version", "1.0.0", "--json", "--registry", cliRepo)...)
	ci.Dir = testenv.Root()
	ci.Stderr = os.Stderr
	ciOut, err := ci.Output()
	if err != nil {
		t.Fatalf("go run ./ci release: %v", err)
	}
	var viaCI struct{ Digest string }
	if err := json.Unmarshal(ciOut, &viaCI); err != nil || viaCI.Digest == "" {
		t.Fatalf("ci release output is not a report with a digest (%v):\n%s", err, ciOut)
	}

	// The registry is given once (with-registry); release returns the
	// digest as a value of its own, and the report as json.
	module := func(repo, field string) string {
		t.Helper()
		out, err := daggerCLI(t, append(append([]string{"-m", ".", "call"}, common...),
			"with-registry", "--address", repo, "--service", "tcp://"+reg,
			"release", "--version", "1.0.0", field)...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	if d := module(modRepo, "digest"); d != viaCI.Digest {
		t.Fatalf("dagger call release … digest = %q, go run ./ci release digest %s", d, viaCI.Digest)
	}
	before := testenv.Tags(t, cliRepo)
	out := module(cliRepo, "json")
	var r struct{ Digest string }
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Digest != viaCI.Digest {
		t.Errorf("dagger call release … json into the CLI's repository: digest %q (%v), want %s:\n%s", r.Digest, err, viaCI.Digest, out)
	}
	if after := testenv.Tags(t, cliRepo); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("dagger call release of a version go run ./ci released changed the tags:\nbefore %v\nafter  %v", before, after)
	}

	t.Run("two platforms", func(t *testing.T) {
		// A multi-platform release (an image index) gives one digest
		// through both doors too.
		args := []string{"--source", "fixtures/multiarch", "--platforms", "linux/amd64,linux/arm64"}
		ci := exec.Command("go", append(append([]string{"run", "./ci", "release"}, args...),
			"--version", "1.0.0", "--json", "--registry", cliRepo+"-multi")...)
		ci.Dir = testenv.Root()
		ci.Stderr = os.Stderr
		ciOut, err := ci.Output()
		if err != nil {
			t.Fatalf("go run ./ci release --platforms: %v", err)
		}
		var viaCI struct{ Digest string }
		if err := json.Unmarshal(ciOut, &viaCI); err != nil || viaCI.Digest == "" {
			t.Fatalf("ci release output is not a report with a digest (%v):\n%s", err, ciOut)
		}
		out, err := daggerCLI(t, append(append([]string{"-m", ".", "call"}, args...),
			"with-registry", "--address", modRepo+"-multi", "--service", "tcp://"+reg,
			"release", "--version", "1.0.0", "digest")...)
		if err != nil {
			t.Fatal(err)
		}
		if d := strings.TrimSpace(out); d != viaCI.Digest {
			t.Errorf("dagger call --platforms … release digest = %q, go run ./ci release --platforms digest %s", d, viaCI.Digest)
		}
	})

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
