package publish

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps the wait that one Retry-After header can impose.
const maxRetryAfter = 30 * time.Second

// retryAfter holds back 429 and 503 responses that carry Retry-After for
// the delay they ask (at most max, and no longer than the request's
// context allows) before handing them on. go-containerregistry retries both
// codes after its own backoff, which knows nothing of Retry-After; waiting
// here makes its next attempt come no sooner than the registry asked.
type retryAfter struct {
	base http.RoundTripper
	max  time.Duration
	now  func() time.Time
}

// honourRetryAfter wraps base with the default cap.
func honourRetryAfter(base http.RoundTripper) http.RoundTripper {
	return retryAfter{base: base, max: maxRetryAfter, now: time.Now}
}

func (t retryAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return resp, err
	}
	d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now())
	if !ok || d <= 0 {
		return resp, nil
	}
	timer := time.NewTimer(min(d, t.max))
	defer timer.Stop()
	select {
	case <-timer.C:
		return resp, nil
	case <-req.Context().Done():
		resp.Body.Close()
		return nil, req.Context().Err()
	}
}

// parseRetryAfter reads a Retry-After value, delay-seconds or an HTTP date
// (RFC 9110, 10.2.3), as a delay from now. A date in the past is a delay
// of 0.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(s) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}
