package faultproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// backend is a target that reads each request body and answers
// "host=<Host> bytes=<n>", or big bytes for GET /big; got counts the body
// bytes it received, hits the requests.
type backend struct {
	got, hits, done atomic.Int64
	big             []byte
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.hits.Add(1)
	defer b.done.Add(1)
	if r.URL.Path == "/big" {
		w.Header().Set("Content-Length", fmt.Sprint(len(b.big)))
		w.Write(b.big)
		return
	}
	n, _ := io.Copy(io.Discard, r.Body)
	b.got.Add(n)
	fmt.Fprintf(w, "host=%s bytes=%d", r.Host, n)
}

// start runs a proxy in front of a fresh backend.
func start(t *testing.T, rules ...Rule) (*Proxy, *backend) {
	t.Helper()
	b := &backend{big: bytes.Repeat([]byte("x"), 1<<20)}
	target := httptest.NewServer(b)
	t.Cleanup(target.Close)
	p, err := New(target.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	p.Add(rules...)
	return p, b
}

// do sends method path with body through p and returns status and body.
func do(ctx context.Context, p *Proxy, method, path string, body []byte) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, p.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestForwardKeepsHost(t *testing.T) {
	p, b := start(t)
	resp, body, err := do(context.Background(), p, "PUT", "/v2/x/blobs/uploads/1", []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("host=%s bytes=5", p.Host); resp.StatusCode != 200 || body != want {
		t.Errorf("got %d %q, want 200 %q", resp.StatusCode, body, want)
	}
	if b.hits.Load() != 1 || p.Injected() != 0 {
		t.Errorf("backend hits %d, injected %d; want 1, 0", b.hits.Load(), p.Injected())
	}
}

func TestRuleCounting(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule Rule
		want []int // statuses of 6 matching requests
	}{
		{"default is the first match once", Rule{Fault: Status(500)}, []int{500, 200, 200, 200, 200, 200}},
		{"burst from the 2nd", Rule{Nth: 2, Times: 3, Fault: Status(502)}, []int{200, 502, 502, 502, 200, 200}},
		{"always from the 5th", Rule{Nth: 5, Times: Always, Fault: Status(503)}, []int{200, 200, 200, 200, 503, 503}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.rule.Match = On("PUT", `/manifests/`)
			p, _ := start(t, tc.rule)
			var got []int
			for range tc.want {
				// Unmatched requests in between must not count.
				if _, _, err := do(context.Background(), p, "GET", "/v2/x/manifests/a", nil); err != nil {
					t.Fatal(err)
				}
				resp, _, err := do(context.Background(), p, "PUT", "/v2/x/manifests/a", []byte("{}"))
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, resp.StatusCode)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("statuses = %v, want %v", got, tc.want)
			}
			faults := 0
			for _, c := range tc.want {
				if c != 200 {
					faults++
				}
			}
			if p.Injected() != faults {
				t.Errorf("Injected() = %d, want %d", p.Injected(), faults)
			}
		})
	}
}

func TestFirstFiringRuleWins(t *testing.T) {
	p, _ := start(t,
		Rule{Match: On("", `/a$`), Fault: Status(500)},
		Rule{Times: 2, Fault: Status(503)},
	)
	var got []int
	for _, path := range []string{"/a", "/a", "/b"} {
		resp, _, err := do(context.Background(), p, "GET", path, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.StatusCode)
	}
	// /a: rule 1 fires (rule 2 counts it but stays due); /a: rule 2;
	// /b: rule 2's second fault.
	if fmt.Sprint(got) != "[500 503 503]" || p.Injected() != 3 {
		t.Errorf("statuses = %v, injected %d; want [500 503 503], 3", got, p.Injected())
	}
}

func TestErrorResponses(t *testing.T) {
	p, b := start(t,
		Rule{Match: On("GET", `/429$`), Fault: TooManyRequests("7")},
		Rule{Match: Push, Times: Always, Fault: Unauthorized()},
		Rule{Match: On("GET", `/503$`), Fault: Status(503)},
	)
	for _, tc := range []struct {
		method, path string
		code         int
		errCode      string
		header       string
		value        string
	}{
		{"GET", "/429", 429, "TOOMANYREQUESTS", "Retry-After", "7"},
		{"GET", "/503", 503, "UNAVAILABLE", "", ""},
		{"GET", "/read", 200, "", "", ""},
		{"POST", "/v2/x/blobs/uploads/", 401, "UNAUTHORIZED", "WWW-Authenticate", `Basic realm="faultproxy"`},
		{"PATCH", "/v2/x/blobs/uploads/1", 401, "UNAUTHORIZED", "", ""},
		{"PUT", "/v2/x/manifests/v1", 401, "UNAUTHORIZED", "", ""},
	} {
		resp, body, err := do(context.Background(), p, tc.method, tc.path, []byte("data"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, resp.StatusCode, tc.code)
		}
		if tc.header != "" && resp.Header.Get(tc.header) != tc.value {
			t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.path, tc.header, resp.Header.Get(tc.header), tc.value)
		}
		if tc.errCode == "" {
			continue
		}
		var e struct {
			Errors []struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil || len(e.Errors) != 1 || e.Errors[0].Code != tc.errCode {
			t.Errorf("%s %s: body %q, want one error with code %s", tc.method, tc.path, body, tc.errCode)
		}
	}
	if b.hits.Load() != 1 {
		t.Errorf("backend hits = %d, want 1 (only the unfaulted GET)", b.hits.Load())
	}
}

func TestDelay(t *testing.T) {
	p, b := start(t, Rule{Times: Always, Fault: Delay(150 * time.Millisecond)})
	start := time.Now()
	resp, _, err := do(context.Background(), p, "GET", "/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 150*time.Millisecond || resp.StatusCode != 200 || b.hits.Load() != 1 {
		t.Errorf("took %v, status %d, backend hits %d; want >= 150ms, 200, 1", took, resp.StatusCode, b.hits.Load())
	}
}

// isReset reports whether err is what a client sees of a reset connection.
// While it still writes the body, Go's transport may close its side first
// and then report net.ErrClosed from the read (seen on a loaded machine).
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}

func TestResetRequest(t *testing.T) {
	p, b := start(t, Rule{Match: On("PATCH", `/blobs/uploads/`), Fault: ResetRequest(64 << 10)})
	_, _, err := do(context.Background(), p, "PATCH", "/v2/x/blobs/uploads/1", make([]byte, 4<<20))
	if err == nil || !isReset(err) {
		t.Fatalf("upload through a reset = %v, want a connection reset", err)
	}
	t.Logf("client saw: %v", err)
	if b.hits.Load() != 0 || p.Injected() != 1 {
		t.Errorf("backend hits %d, injected %d; want 0, 1", b.hits.Load(), p.Injected())
	}
	// The rule fired once: the next upload goes through.
	if resp, _, err := do(context.Background(), p, "PATCH", "/v2/x/blobs/uploads/1", make([]byte, 4<<20)); err != nil || resp.StatusCode != 200 {
		t.Errorf("second upload = %v, %v; want 200", resp, err)
	}
}

func TestResetResponse(t *testing.T) {
	p, b := start(t, Rule{Match: On("GET", `/big$`), Fault: ResetResponse(100 << 10)})
	resp, err := http.Get(p.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil || !isReset(err) || n >= int64(len(b.big)) {
		t.Errorf("read %d of %d bytes, error %v; want a reset part way", n, len(b.big), err)
	}
	t.Logf("client read %d bytes, then: %v", n, err)
}

func TestHold(t *testing.T) {
	held := make(chan string, 1)
	p, b := start(t, Rule{Match: On("PATCH", `/blobs/uploads/`), Fault: Hold(1000, held)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := do(ctx, p, "PATCH", "/v2/x/blobs/uploads/1", make([]byte, 1<<20))
		done <- err
	}()
	select {
	case got := <-held:
		if got != "PATCH /v2/x/blobs/uploads/1" {
			t.Errorf("held %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hold never signalled")
	}
	select {
	case err := <-done:
		t.Fatalf("held request returned: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	cancel() // the client goes away
	if err := <-done; err == nil {
		t.Error("held request succeeded")
	}
	// The hold ends with the client: the forwarded request is cut off, and
	// the target saw at most the first 1000 bytes, never the whole body.
	deadline := time.Now().Add(5 * time.Second)
	for b.done.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if b.done.Load() != 1 || b.got.Load() > 1000 {
		t.Errorf("backend finished %d requests, got %d bytes; want 1 request cut off after at most 1000 bytes", b.done.Load(), b.got.Load())
	}
	if len(held) != 0 {
		t.Errorf("hold signalled %d more times, want once", len(held))
	}
}

func TestHoldReleasedByClose(t *testing.T) {
	held := make(chan string, 1)
	p, b := start(t, Rule{Match: On("PUT", `/manifests/v1$`), Fault: Hold(0, held)})
	done := make(chan error, 1)
	go func() {
		_, _, err := do(context.Background(), p, "PUT", "/v2/x/manifests/v1", []byte("{}"))
		done <- err
	}()
	<-held
	p.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("held request succeeded after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the held request")
	}
	if b.hits.Load() != 0 {
		t.Errorf("backend hits = %d, want 0 (Hold(0) forwards nothing)", b.hits.Load())
	}
}

func TestNewRejectsBadTarget(t *testing.T) {
	for _, target := range []string{"localhost:5000", "", "://x"} {
		if p, err := New(target); err == nil {
			p.Close()
			t.Errorf("New(%q) succeeded", target)
		} else if !strings.Contains(err.Error(), "faultproxy") {
			t.Errorf("New(%q) = %v", target, err)
		}
	}
}
