package publish

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBuffered is the largest response body bufferSmall reads inside the
// round trip: manifests, release records and SBOMs, not image layers.
const maxBuffered = 4 << 20

// bufferSmall reads the body of a successful GET of a manifest, or of a
// blob no larger than maxBuffered, before the round trip returns.
// go-containerregistry retries failed round trips (with its backoff and
// retry predicate) but not failed reads of a body it was already handed; a
// connection reset while a manifest is read back would otherwise fail the
// publish. Read inside the round trip, it is retried like any other.
type bufferSmall struct {
	base http.RoundTripper
}

func (t bufferSmall) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || !buffered(req, resp) {
		return resp, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBuffered+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response body: %w", err)
	}
	if len(b) > maxBuffered {
		return nil, fmt.Errorf("response body larger than %d bytes", maxBuffered)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	return resp, nil
}

// buffered says whether resp's body is read inside the round trip.
func buffered(req *http.Request, resp *http.Response) bool {
	if req.Method != http.MethodGet || resp.StatusCode != http.StatusOK {
		return false
	}
	switch {
	case strings.Contains(req.URL.Path, "/manifests/"):
		return true
	case strings.Contains(req.URL.Path, "/blobs/"):
		return resp.ContentLength >= 0 && resp.ContentLength <= maxBuffered
	}
	return false
}
