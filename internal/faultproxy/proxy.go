package faultproxy

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync"
)

// Always, as Rule.Times, faults every matching request from the Nth on.
const Always = -1

// A Rule applies Fault to some of the requests that Match selects: the Nth
// and the Times-1 following ones.
type Rule struct {
	// Match selects requests, e.g. On("PATCH", "/blobs/uploads/"). The
	// default (nil) matches every request.
	Match func(*http.Request) bool
	// Nth is the first matching request to fault, counting from 1. The
	// default (0) is 1.
	Nth int
	// Times is how many matching requests are faulted, from the Nth on;
	// Always faults every one. The default (0) is 1.
	Times int
	// Fault is what happens to a faulted request.
	Fault Fault
}

// rule is a Rule with its counters.
type rule struct {
	Rule
	seen, fired int
}

// match reports whether req is one of r's requests, counting it.
func (r *rule) match(req *http.Request) bool {
	if r.Match != nil && !r.Match(req) {
		return false
	}
	r.seen++
	return true
}

// due reports whether the request just matched is to be faulted.
func (r *rule) due() bool {
	times := r.Times
	if times == 0 {
		times = 1
	}
	return r.seen >= max(r.Nth, 1) && (times < 0 || r.fired < times)
}

// Proxy is a fault-injecting reverse proxy on 127.0.0.1.
type Proxy struct {
	// URL is the proxy's base URL, e.g. http://127.0.0.1:41234.
	URL string
	// Host is the proxy's host:port, to name repositories through it, e.g.
	// 127.0.0.1:41234/my-app.
	Host string

	forward http.Handler
	srv     *http.Server
	closed  context.Context
	close   context.CancelFunc

	mu       sync.Mutex
	rules    []*rule
	injected int
}

// New starts a proxy in front of target, e.g. "http://localhost:5000".
// Close stops it.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q: want a URL like http://localhost:5000", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	quiet := log.New(io.Discard, "", 0)
	p := &Proxy{
		URL:  "http://" + ln.Addr().String(),
		Host: ln.Addr().String(),
		forward: &httputil.ReverseProxy{
			Rewrite: func(r *httputil.ProxyRequest) {
				r.SetURL(u)
				// Keep the client's Host: the registry builds upload
				// locations from it, and they must lead back here.
				r.Out.Host = r.In.Host
			},
			ErrorLog: quiet,
		},
	}
	p.closed, p.close = context.WithCancel(context.Background())
	p.srv = &http.Server{Handler: p, ErrorLog: quiet}
	go p.srv.Serve(ln)
	return p, nil
}

// Add appends rules. A request gets the fault of the first rule that
// fires for it; every matching rule counts it.
func (p *Proxy) Add(rules ...Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range rules {
		p.rules = append(p.rules, &rule{Rule: r})
	}
}

// Clear removes every rule; the proxy then forwards requests untouched.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// Injected returns how many faults the proxy has applied.
func (p *Proxy) Injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected
}

// Close stops the proxy, closing its connections and releasing held
// requests.
func (p *Proxy) Close() error {
	p.close()
	return p.srv.Close()
}

// ServeHTTP applies the first rule that fires, or forwards the request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(p.closed, cancel)()
	r = r.WithContext(ctx)

	var fault Fault
	p.mu.Lock()
	for _, rl := range p.rules {
		if rl.match(r) && fault == nil && rl.due() {
			rl.fired++
			p.injected++
			fault = rl.Fault
		}
	}
	p.mu.Unlock()
	if fault == nil {
		p.forward.ServeHTTP(w, r)
		return
	}
	fault(w, r, p.forward)
}

// On matches requests with method ("" for any) whose URL path matches the
// regular expression expr, e.g. On("PUT", `/manifests/v1$`).
func On(method, expr string) func(*http.Request) bool {
	re := regexp.MustCompile(expr)
	return func(r *http.Request) bool {
		return (method == "" || r.Method == method) && re.MatchString(r.URL.Path)
	}
}

// Push matches requests that write to a registry: POST, PATCH and PUT.
func Push(r *http.Request) bool {
	return r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut
}
