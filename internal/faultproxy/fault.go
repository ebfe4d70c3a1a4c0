package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// A Fault handles a request in place of the proxy; next forwards a request
// to the target.
type Fault func(w http.ResponseWriter, r *http.Request, next http.Handler)

// Status answers code with a registry-style JSON error body, e.g.
// {"errors":[{"code":"UNAVAILABLE","message":"faultproxy: 503 Service Unavailable"}]}.
// The error code is UNAUTHORIZED for 401, TOOMANYREQUESTS for 429,
// UNAVAILABLE for 502 and 503 and UNKNOWN otherwise.
func Status(code int) Fault {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		writeError(w, code)
	}
}

// TooManyRequests answers 429 with the header Retry-After: after (seconds
// or an HTTP date).
func TooManyRequests(after string) Fault {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		w.Header().Set("Retry-After", after)
		writeError(w, http.StatusTooManyRequests)
	}
}

// Unauthorized answers 401 with a Basic WWW-Authenticate challenge, as a
// registry does to a client without push rights. Pair it with Push.
func Unauthorized() Fault {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		w.Header().Set("WWW-Authenticate", `Basic realm="faultproxy"`)
		writeError(w, http.StatusUnauthorized)
	}
}

// Delay forwards the request after d (a slow registry).
func Delay(d time.Duration) Fault {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
			panic(http.ErrAbortHandler)
		}
	}
}

// ResetRequest reads up to n bytes of the request body (then discards
// them) and resets the connection: an upload cut off part way.
func ResetRequest(n int64) Fault {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		io.CopyN(io.Discard, r.Body, n)
		reset(w)
	}
}

// ResetResponse forwards the request and resets the connection after n
// bytes of the response body.
func ResetResponse(n int64) Fault {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		next.ServeHTTP(&resetWriter{ResponseWriter: w, left: n}, r)
	}
}

// Hold forwards the first n bytes of the request body (all of it if it is
// shorter), then sends a description of the request ("PUT /v2/...") on
// held and blocks until the client goes away or the proxy closes. The
// client never gets a response. With n = 0 nothing reaches the target.
func Hold(n int64, held chan<- string) Fault {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		body := r.Body
		hold := func() error {
			select {
			case held <- r.Method + " " + r.URL.Path:
			case <-r.Context().Done():
			}
			// Take the rest of the body so that the server notices when
			// the client hangs up.
			if body != nil {
				io.Copy(io.Discard, body)
			}
			<-r.Context().Done()
			return r.Context().Err()
		}
		if n == 0 || body == nil || body == http.NoBody {
			hold()
			panic(http.ErrAbortHandler)
		}
		r.Body = &holdBody{ReadCloser: r.Body, left: n, hold: hold}
		next.ServeHTTP(w, r)
	}
}

// holdBody passes left bytes through, then calls hold and reports its error.
type holdBody struct {
	io.ReadCloser
	left int64
	hold func() error
}

func (b *holdBody) Read(p []byte) (int, error) {
	if b.left > 0 {
		p = p[:min(int64(len(p)), b.left)]
		n, err := b.ReadCloser.Read(p)
		b.left -= int64(n)
		if err == io.EOF {
			b.left = 0 // the body ended first: hold at its end
			err = nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, b.hold()
}

// errReset is what a resetWriter reports to the handler after the reset.
var errReset = errors.New("faultproxy: connection reset")

// resetWriter passes left bytes of the body through, then resets the
// connection.
type resetWriter struct {
	http.ResponseWriter
	left int64
}

func (w *resetWriter) Write(p []byte) (int, error) {
	if int64(len(p)) < w.left {
		n, err := w.ResponseWriter.Write(p)
		w.left -= int64(n)
		return n, err
	}
	n, _ := w.ResponseWriter.Write(p[:w.left])
	w.left = 0
	reset(w.ResponseWriter)
	return n, errReset
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *resetWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// reset flushes what was written, takes over the connection and closes it
// with SO_LINGER 0, so that the peer gets a TCP RST.
func reset(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	rc.Flush()
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// writeError writes a registry-style error response.
func writeError(w http.ResponseWriter, code int) {
	ec := "UNKNOWN"
	switch code {
	case http.StatusUnauthorized:
		ec = "UNAUTHORIZED"
	case http.StatusTooManyRequests:
		ec = "TOOMANYREQUESTS"
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		ec = "UNAVAILABLE"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"faultproxy: %d %s"}]}`+"\n", ec, code, http.StatusText(code))
}
