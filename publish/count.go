package publish

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
)

// counter measures blob traffic by watching registry requests: bytes sent in
// blob upload bodies, blobs committed, and blobs skipped because the registry
// already had them (HEAD 200), and blobs mounted from another repository
// (POST with mount, 201). Manifest bytes are not counted.
type counter struct {
	bytes    atomic.Int64
	uploaded atomic.Int64
	skipped  atomic.Int64
	mounted  atomic.Int64
}

type countSnapshot struct {
	Bytes                      int64
	Uploaded, Skipped, Mounted int
}

func (c *counter) snapshot() countSnapshot {
	return countSnapshot{Bytes: c.bytes.Load(), Uploaded: int(c.uploaded.Load()), Skipped: int(c.skipped.Load()), Mounted: int(c.mounted.Load())}
}

// since is the traffic between an earlier snapshot and s.
func (s countSnapshot) since(earlier countSnapshot) countSnapshot {
	return countSnapshot{Bytes: s.Bytes - earlier.Bytes, Uploaded: s.Uploaded - earlier.Uploaded, Skipped: s.Skipped - earlier.Skipped, Mounted: s.Mounted - earlier.Mounted}
}

func (c *counter) wrap(base http.RoundTripper) http.RoundTripper {
	return countingTransport{c: c, base: base}
}

type countingTransport struct {
	c    *counter
	base http.RoundTripper
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	upload := strings.Contains(req.URL.Path, "/blobs/uploads/")
	if upload && req.Body != nil && (req.Method == http.MethodPatch || req.Method == http.MethodPut) {
		req = req.Clone(req.Context())
		req.Body = &countingBody{ReadCloser: req.Body, n: &t.c.bytes}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	switch {
	case req.Method == http.MethodHead && strings.Contains(req.URL.Path, "/blobs/") && resp.StatusCode == http.StatusOK:
		t.c.skipped.Add(1)
	case req.Method == http.MethodPost && upload && req.URL.Query().Get("mount") != "" && resp.StatusCode == http.StatusCreated:
		t.c.mounted.Add(1)
	case req.Method == http.MethodPut && upload && resp.StatusCode == http.StatusCreated:
		t.c.uploaded.Add(1)
	}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
