// Package memregistry gives tests go-containerregistry's in-memory registry
// on 127.0.0.1, quiet and closed when the test ends.
package memregistry

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Start serves a new in-memory registry and returns its host:port.
func Start(t testing.TB) string {
	t.Helper()
	return StartWith(t, nil)
}

// StartWith is Start with the registry behind middleware (nil: none), e.g.
// to inject faults.
func StartWith(t testing.TB, middleware func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if middleware != nil {
		h = middleware(h)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// Repo starts a registry and returns the repository path in it.
func Repo(t testing.TB, path string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(Start(t) + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// PushRandom pushes a small random image to ref (a tag) and returns its
// digest.
func PushRandom(t testing.TB, ref string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}
