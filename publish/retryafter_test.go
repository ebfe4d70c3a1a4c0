package publish

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Thu, 02 Jan 2025 03:04:15 GMT", 10 * time.Second, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// answer is a RoundTripper that answers every request with code and a
// Retry-After header (none if after is "").
type answer struct {
	code   int
	after  string
	closed atomic.Bool
}

func (a *answer) RoundTrip(req *http.Request) (*http.Response, error) {
	h := http.Header{}
	if a.after != "" {
		h.Set("Retry-After", a.after)
	}
	return &http.Response{StatusCode: a.code, Header: h, Body: &closeFlag{Reader: strings.NewReader("{}"), closed: &a.closed}, Request: req}, nil
}

type closeFlag struct {
	io.Reader
	closed *atomic.Bool
}

func (c *closeFlag) Close() error { c.closed.Store(true); return nil }

func TestRetryAfterWaits(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	// Wide bounds: a busy CI machine can stall a goroutine for a while, and
	// the no-wait cases must still tell "no wait" from "waited the cap".
	const limit, quick = 1500 * time.Millisecond, 750 * time.Millisecond
	for _, tc := range []struct {
		name     string
		code     int
		after    string
		min, max time.Duration // bounds of the wait
	}{
		{"429 seconds, capped", 429, "5", limit, limit + 5*time.Second},
		{"503 date, capped", 503, now.Add(time.Hour).Format(http.TimeFormat), limit, limit + 5*time.Second},
		{"429 Retry-After 0", 429, "0", 0, quick},
		{"500 ignores Retry-After", 500, "5", 0, quick},
		{"200 ignores Retry-After", 200, "5", 0, quick},
		{"429 without Retry-After", 429, "", 0, quick},
		{"429 unparsable", 429, "later", 0, quick},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &answer{code: tc.code, after: tc.after}
			rt := retryAfter{base: a, max: limit, now: func() time.Time { return now }}
			req, _ := http.NewRequest(http.MethodGet, "http://registry.invalid/v2/", nil)
			start := time.Now()
			resp, err := rt.RoundTrip(req)
			took := time.Since(start)
			if err != nil || resp.StatusCode != tc.code {
				t.Fatalf("RoundTrip = %v, %v; want the %d response", resp, err, tc.code)
			}
			if took < tc.min || took >= tc.max {
				t.Errorf("waited %v, want [%v, %v)", took, tc.min, tc.max)
			}
			if a.closed.Load() {
				t.Error("response body closed before it was handed on")
			}
		})
	}
}

func TestRetryAfterRealDelay(t *testing.T) {
	rt := honourRetryAfter(&answer{code: 429, after: "1"})
	req, _ := http.NewRequest(http.MethodGet, "http://registry.invalid/v2/", nil)
	start := time.Now()
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second || took > 3*time.Second {
		t.Errorf("Retry-After: 1 waited %v, want about 1s", took)
	}
}

func TestRetryAfterContext(t *testing.T) {
	a := &answer{code: 429, after: "20"}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://registry.invalid/v2/", nil)
	start := time.Now()
	resp, err := honourRetryAfter(a).RoundTrip(req)
	if !errors.Is(err, context.DeadlineExceeded) || resp != nil {
		t.Errorf("RoundTrip = %v, %v; want context.DeadlineExceeded", resp, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("cancelled wait took %v", took)
	}
	if !a.closed.Load() {
		t.Error("dropped response body not closed")
	}
}

// TestRetryAfterPublish: a registry that answers the image manifest PUT
// with 429 and Retry-After: 1 once; go-containerregistry retries after its
// (here 1ms) backoff, but not before the second the registry asked for.
func TestRetryAfterPublish(t *testing.T) {
	var limited atomic.Int32
	repo := newRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/sha256:") && limited.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`, http.StatusTooManyRequests)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	a := Access{Backoff: &remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3}}
	start := time.Now()
	mustPublish(t, repo, testImage(t, 1), "1.0.0", testOptions(), a)
	if took := time.Since(start); took < time.Second {
		t.Errorf("publish took %v; the retry did not wait for Retry-After: 1", took)
	}
	if limited.Load() < 2 {
		t.Errorf("%d image manifest PUTs, want the limited one and its retry", limited.Load())
	}
}
