package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
)

// TestDoorsSameDigest releases one checkout through both doors with no
// flags but the version and the registry: `go run ./ci release` into one
// repository, `dagger call release` into another. Both must publish the
// same digest (the same defaults for revision, epoch, bases, tag prefix),
// and `dagger call release` of the same version into the first repository
// must be a no-op: same digest, no tag moved, nothing refused as "already
// released with another digest".
func TestDoorsSameDigest(t *testing.T) {
	testenv.Require(t)
	if _, err := exec.LookPath("dagger"); err != nil {
		t.Fatalf("the dagger CLI is not on PATH (go run ./ci test puts it there): %v", err)
	}
	reg := testenv.Registry(t)
	base := fmt.Sprintf("%s/doors-%d", reg, time.Now().UnixNano())
	cliRepo, modRepo := base+"/cli", base+"/module"
	bin := buildCI(t)

	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = testenv.Root()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(out.String(), 60))
		}
		t.Logf("%s %s (%s)", name, strings.Join(args, " "), time.Since(start).Round(time.Second))
		return out.String()
	}
	run(bin, "release", "--version", "2.0.0", "--registry", cliRepo)
	cliTags := testenv.Tags(t, cliRepo)
	module := func(repo string) string {
		return run("dagger", "call", "release", "--version", "2.0.0", "--registry", repo, "--registry-service", "tcp://"+reg)
	}
	module(modRepo)
	modTags := testenv.Tags(t, modRepo)
	if cliTags["v2.0.0"] == "" || cliTags["v2.0.0"] != modTags["v2.0.0"] {
		t.Fatalf("go run ./ci release gave %s, dagger call release gave %s: the doors disagree", cliTags["v2.0.0"], modTags["v2.0.0"])
	}

	again := module(cliRepo)
	if after := testenv.Tags(t, cliRepo); fmt.Sprint(after) != fmt.Sprint(cliTags) {
		t.Errorf("dagger call release of a version go run ./ci released changed the tags:\nbefore %v\nafter  %v\n%s", cliTags, after, tail(again, 20))
	}
	if !strings.Contains(again, cliTags["v2.0.0"]) {
		t.Errorf("dagger call release output does not name the released digest %s:\n%s", cliTags["v2.0.0"], tail(again, 20))
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
