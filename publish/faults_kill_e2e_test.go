package publish

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"dagger/immutable/internal/faultproxy"
)

// killChildEnv names the repository TestFaultsKillChild publishes 1.1.0 to;
// only the kill scenarios of TestFaultsRegistry set it.
const killChildEnv = "IMMUTABLE_FAULTS_KILL_REPO"

// killPoint is where the child publishing 1.1.0 is killed: at the first
// request match selects, after after bytes of its body reached the
// registry. resumed says whether the version tag exists by then, so that
// the rerun resumes the release.
type killPoint struct {
	name    string
	match   func(*http.Request) bool
	after   int64
	resumed bool
}

func killPoints() []killPoint {
	on := faultproxy.On
	return []killPoint{
		{"mid-blob-upload", bigUpload, 1 << 20, false},
		{"image-manifest-put", on("PUT", `/manifests/sha256:`), 0, false},
		{"version-tag-put", on("PUT", `/manifests/v1\.1\.0$`), 0, false},
		{"floating-tag-put", on("PUT", `/manifests/v1$`), 0, true},
		{"record-tag-put", on("PUT", `/manifests/v1\.1\.0_release$`), 0, true},
	}
}

// TestFaultsKillChild is the child of a kill scenario: it publishes 1.1.0
// to the repository in $IMMUTABLE_FAULTS_KILL_REPO (through the parent's
// proxy) and is killed there. Without the variable it skips.
func TestFaultsKillChild(t *testing.T) {
	repo := os.Getenv(killChildEnv)
	if repo == "" {
		t.Skip("the child of TestFaultsRegistry/kill; runs only when that starts it")
	}
	f := &faultRelease{img: faultImage(t, 2)}
	o := faultOptions(t)
	o.LockDir = t.TempDir()
	if _, err := Publish(t.Context(), target(t, repo, faultAccess), f.img, ver(t, "1.1.0"), Record{SourceRevision: "rev-1.1.0"}, o); err != nil {
		t.Fatal(err)
	}
	// Reaching here means the hold never fired; the parent fails then.
}

// runKill releases 1.0.0, starts a child (this test binary, running
// TestFaultsKillChild) that publishes 1.1.0 through a proxy holding the
// kill point's request, SIGKILLs it when the hold fires, checks the tags,
// then reruns the release in-process without faults. It returns the faults
// injected and whether the final state was right; incomplete tags are added
// to *partial.
func runKill(t *testing.T, reg string, kp killPoint, partial *int) (int, bool) {
	f := newFaultRelease(t, reg, "kill-"+kp.name)
	p, err := faultproxy.New("http://" + reg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	held := make(chan string, 1)
	p.Add(faultproxy.Rule{Match: kp.match, Fault: faultproxy.Hold(kp.after, held)})

	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultsKillChild$", "-test.count=1", "-test.v", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), killChildEnv+"="+f.via(p))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	req, err := faultproxy.KillAtHold(cmd, held, 45*time.Second)
	if err != nil {
		t.Fatalf("child, to be killed at %s: %v; output:\n%s", kp.name, err, out.String())
	}
	t.Logf("killed the child while holding %s", req)
	p.Close()

	bad, versionTag := f.checkState(t)
	*partial += bad
	if versionTag != kp.resumed {
		t.Errorf("after the kill v1.1.0 exists = %v, want %v", versionTag, kp.resumed)
	}
	return p.Injected(), f.rerun(t, false, versionTag, partial)
}
