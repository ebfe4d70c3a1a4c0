package publish

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestBackoffOption: Access.Backoff reaches go-containerregistry. Two
// failing image manifest PUTs are survived with 3 attempts and fail the
// publish with 2.
func TestBackoffOption(t *testing.T) {
	for _, tc := range []struct {
		steps int
		ok    bool
	}{{3, true}, {2, false}} {
		f := &fault{match: is(http.MethodPut, "/manifests/sha256:"), nth: 1, times: 2}
		repo := newRegistry(t, f.wrap)
		a := Access{Backoff: &remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: tc.steps}}
		f.arm(true)
		_, err := Publish(context.Background(), target(t, repo, a), testImage(t, 1), ver(t, "1.0.0"), Record{}, testOptions())
		if (err == nil) != tc.ok {
			t.Errorf("Steps %d: Publish = %v, want success %v", tc.steps, err, tc.ok)
		}
		if f.failed != 2 {
			t.Errorf("Steps %d: %d failed requests, want 2", tc.steps, f.failed)
		}
	}
}

func TestBackoffNeedsAStep(t *testing.T) {
	_, err := NewTarget(context.Background(), "localhost:1/x", Access{Backoff: &remote.Backoff{Duration: time.Millisecond}})
	if err == nil || !strings.Contains(err.Error(), "Backoff.Steps") {
		t.Errorf("NewTarget with Backoff.Steps 0 = %v, want an access error", err)
	}
}
