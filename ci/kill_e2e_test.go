package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/faultproxy"
	"dagger/immutable/internal/testenv"
)

// TestCLIKilledReleaseResumes kills `ci release` with SIGKILL while it
// publishes (through a proxy holding the PUT of the floating tag v1, after
// the version tag and v1.0), checks the registry holds no partial tag, and
// reruns the same command: it rebuilds the same digest, finishes the
// interrupted release and ends in the complete tag set.
func TestCLIKilledReleaseResumes(t *testing.T) {
	testenv.Require(t)
	reg := testenv.Registry(t)
	bin := buildCI(t)
	path := fmt.Sprintf("cli-kill/app-%d", time.Now().UnixNano())
	p, err := faultproxy.New("http://" + reg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	held := make(chan string, 1)
	p.Add(faultproxy.Rule{Match: faultproxy.On("PUT", `/manifests/v1$`), Fault: faultproxy.Hold(0, held)})

	tmp := t.TempDir()
	release := func(repo string) *exec.Cmd {
		cmd := exec.Command(bin, "release", "--version", "1.0.0", "--source", testenv.Path("fixtures", "app"), "--version-path", "/version", "--registry", repo)
		cmd.Dir = testenv.Root()
		// A killed process cannot remove its work directory: keep it in the
		// test's, which is removed when the test ends.
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		return cmd
	}
	cmd := release(p.Host + "/" + path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	req, err := faultproxy.KillAtHold(cmd, held, 10*time.Minute)
	if err != nil {
		t.Fatalf("ci release, to be killed at its PUT of tag v1: %v; output:\n%s", err, out.String())
	}
	t.Logf("killed ci release while holding %s", req)

	repo := reg + "/" + path
	tags := testenv.Tags(t, repo)
	digest := tags["v1.0.0"]
	if digest == "" || tags["v1.0"] != digest || tags["v1"] != "" || tags["v1.0.0_release"] != "" {
		t.Fatalf("after the kill: tags %v; want v1.0.0 and v1.0 at one digest, no v1, no record", tags)
	}
	ref, err := name.NewDigest(repo + "@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err == nil {
		err = testenv.FetchAll(img)
	}
	if err != nil {
		t.Fatalf("v1.0.0 points at an incomplete image: %v", err)
	}

	rerun := release(repo)
	b, err := rerun.CombinedOutput()
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "resuming the interrupted release") {
		t.Errorf("rerun output does not say it resumed:\n%s", b)
	}
	tags = testenv.Tags(t, repo)
	for _, tag := range []string{"v1.0.0", "v1.0", "v1", "latest"} {
		if tags[tag] != digest {
			t.Errorf("after the rerun %s = %q, want %s", tag, tags[tag], digest)
		}
	}
	if tags["v1.0.0_release"] == "" || tags[strings.Replace(digest, ":", "-", 1)+".sbom"] == "" {
		t.Errorf("after the rerun: no release record or SBOM: %v", tags)
	}
}

// buildCI builds this program once per test into a temporary directory.
func buildCI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ci")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build ./ci: %v\n%s", err, out)
	}
	return bin
}
