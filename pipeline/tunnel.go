package pipeline

import (
	"context"
	"fmt"
	"github.com/google/go-containerregistry/pkg/name"
	"net"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TunnelTransport returns an HTTP transport that dials endpoint whenever a
// request goes to addr. Inside a Dagger module function, localhost is the
// function's own container: a registry on the caller's localhost:5000 is
// reached through a service tunnel, and this keeps its name (localhost:5000,
// which go-containerregistry talks to over plain HTTP) for users and tags.
func TunnelTransport(addr, endpoint string) http.RoundTripper {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	var d net.Dialer
	t.DialContext = func(ctx context.Context, network, a string) (net.Conn, error) {
		if a == addr {
			a = endpoint
		}
		return d.DialContext(ctx, network, a)
	}
	return t
}

// RegistryHost returns the host[:port] of a repository reference such as
// localhost:5000/my-app.
func RegistryHost(repo string) (string, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return "", fmt.Errorf("registry repository %q: %w (want e.g. localhost:5000/my-app)", repo, err)
	}
	return r.RegistryStr(), nil
}

// IsLoopback reports whether host[:port] names this machine.
func IsLoopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
