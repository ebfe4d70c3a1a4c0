package main

import (
	"bytes"
	"fmt"
	"io"
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

	release := func(repo string) *exec.Cmd {
		cmd := exec.Command(bin, "release", "--version", "1.0.0", "--source", testenv.Path("fixtures", "app"), "--registry", repo)
		cmd.Dir = testenv.Root()
		return cmd
	}
	cmd := release(p.Host + "/" + path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case req := <-held:
		t.Logf("holding %s; killing ci release (pid %d)", req, cmd.Process.Pid)
		cmd.Process.Kill()
		<-exited
	case err := <-exited:
		t.Fatalf("ci release ended (%v) before it tagged v1; output:\n%s", err, out.String())
	case <-time.After(10 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("ci release did not reach the v1 tag in 10 minutes; output:\n%s", out.String())
	}

	repo := reg + "/" + path
	tags := cliTags(t, repo)
	digest := tags["v1.0.0"]
	if digest == "" || tags["v1.0"] != digest || tags["v1"] != "" || tags["v1.0.0_release"] != "" {
		t.Fatalf("after the kill: tags %v; want v1.0.0 and v1.0 at one digest, no v1, no record", tags)
	}
	if err := remoteComplete(repo, digest); err != nil {
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
	tags = cliTags(t, repo)
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

// cliTags reads every tag of repo: tag -> digest.
func cliTags(t *testing.T, repo string) map[string]string {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	list, err := remote.List(r)
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tag := range list {
		d, err := remote.Head(r.Tag(tag))
		if err != nil {
			t.Fatal(err)
		}
		tags[tag] = d.Digest.String()
	}
	return tags
}

// remoteComplete downloads the image repo@digest: manifest, config and
// every layer, each checked against its digest.
func remoteComplete(repo, digest string) error {
	ref, err := name.NewDigest(repo + "@" + digest)
	if err != nil {
		return err
	}
	img, err := remote.Image(ref)
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	if _, err := img.RawConfigFile(); err != nil {
		return err
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
