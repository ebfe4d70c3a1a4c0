package publish

import (
	"context"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/faultproxy"
	"dagger/immutable/internal/memregistry"
)

// TestManifestReadResetIsRetried resets the connection in the middle of a
// manifest's body. Read inside the round trip, the manifest is fetched
// again by go-containerregistry's own retry and the read succeeds; a reset
// on every attempt still fails, with the reset as the cause.
func TestManifestReadResetIsRetried(t *testing.T) {
	reg := memregistry.Start(t)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(reg + "/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	p, c := proxiedClient(t, reg)
	manifest := faultproxy.On("GET", `/manifests/sha256:`)

	p.Add(faultproxy.Rule{Match: manifest, Times: 1, Fault: faultproxy.ResetResponse(64)})
	if _, err := c.verifyStored(d); err != nil {
		t.Fatalf("verify after one reset mid-manifest: %v", err)
	}
	if got := p.Injected(); got != 1 {
		t.Errorf("faults injected = %d, want 1", got)
	}

	p.Clear()
	p.Add(faultproxy.Rule{Match: manifest, Times: faultproxy.Always, Fault: faultproxy.ResetResponse(64)})
	_, err = c.verifyStored(d)
	if err == nil || !(errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "EOF")) {
		t.Errorf("verify with every read reset = %v, want a connection reset", err)
	}
}

// TestSmallBlobReadResetIsRetried: a release record (a small blob) read
// through a connection reset mid-body is fetched again, not lost.
func TestSmallBlobReadResetIsRetried(t *testing.T) {
	p, c := proxiedClient(t, memregistry.Start(t))
	rec := Record{Kind: KindRelease, Version: "1.0.0", Repo: p.Host + "/app", Digest: "sha256:" + strings.Repeat("a", 64)}
	a, err := c.writeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.tag("v1.0.0_release", a); err != nil {
		t.Fatal(err)
	}
	p.Add(faultproxy.Rule{Match: faultproxy.On("GET", `/blobs/sha256:`), Times: 1, Fault: faultproxy.ResetResponse(16)})
	got, err := c.readRecord("v1.0.0_release")
	if err != nil || got.Version != "1.0.0" || got.Digest != rec.Digest {
		t.Fatalf("readRecord after a reset mid-blob = %+v, %v", got, err)
	}
	if n := p.Injected(); n != 1 {
		t.Errorf("faults injected = %d, want 1", n)
	}
}

// proxiedClient starts a fault proxy in front of reg and returns it with a
// client for reg's "app" repository through it, retrying quickly.
func proxiedClient(t *testing.T, reg string) (*faultproxy.Proxy, *client) {
	t.Helper()
	p, err := faultproxy.New("http://" + reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	a := Access{Backoff: &remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3}}
	c, err := newClient(context.Background(), target(t, p.Host+"/app", a), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}
