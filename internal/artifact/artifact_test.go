package artifact

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"

	"dagger/immutable/internal/memregistry"
)

const docType = "application/vnd.example.doc+json"

func TestNewIsDeterministic(t *testing.T) {
	a1, err := New(docType, []byte(`{"a":1}`), map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := New(docType, []byte(`{"a":1}`), map[string]string{"k": "v"})
	a3, _ := New(docType, []byte(`{"a":2}`), map[string]string{"k": "v"})
	if a1.Digest != a2.Digest {
		t.Errorf("same inputs, digests %s and %s", a1.Digest, a2.Digest)
	}
	if a1.Digest == a3.Digest {
		t.Errorf("different bodies, same digest %s", a1.Digest)
	}
	m, _ := a1.RawManifest()
	for _, want := range []string{`"artifactType":"` + docType + `"`, EmptyConfigMediaType, `"k":"v"`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("manifest %s lacks %s", m, want)
		}
	}
}

func TestWriteRead(t *testing.T) {
	repo := memregistry.Repo(t, "doc")
	body := []byte(`{"hello":"world"}`)
	a, err := New(docType, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Write(repo); err != nil {
		t.Fatal(err)
	}
	// Written by digest only: no tag yet.
	if _, err := Read(repo.Tag("doc"), docType, 1<<10); err == nil {
		t.Fatal("Read of an untagged artifact succeeded")
	}
	if err := remote.Tag(repo.Tag("doc"), a); err != nil {
		t.Fatal(err)
	}
	got, err := Read(repo.Tag("doc"), docType, 1<<10)
	if err != nil || string(got) != string(body) {
		t.Fatalf("Read = %q, %v; want %q", got, err, body)
	}
	// Exactly max bytes is fine; one fewer is too large.
	if _, err := Read(repo.Tag("doc"), docType, int64(len(body))); err != nil {
		t.Errorf("Read with max = size: %v", err)
	}
	if _, err := Read(repo.Tag("doc"), docType, int64(len(body))-1); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("Read with max < size = %v, want too large", err)
	}
	if _, err := Read(repo.Tag("doc"), "application/other", 1<<10); err == nil || !strings.Contains(err.Error(), "has no application/other layer") {
		t.Errorf("Read of another media type = %v", err)
	}
}

// TestReadChecksDigest serves other bytes of the same length for the
// document's blob: Read must refuse them rather than return them.
func TestReadChecksDigest(t *testing.T) {
	body := []byte(`{"real":true}`)
	a, _ := New(docType, body, nil)
	layer := static.NewLayer(body, docType)
	bodyDigest, _ := layer.Digest()
	host := memregistry.StartWith(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+bodyDigest.String()) {
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				_, _ = w.Write(bytes.Repeat([]byte("x"), len(body)))
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	repo, _ := name.NewRepository(host + "/doc")
	if err := a.Write(repo); err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(repo.Tag("doc"), a); err != nil {
		t.Fatal(err)
	}
	got, err := Read(repo.Tag("doc"), docType, 1<<10)
	if err == nil {
		t.Fatalf("Read returned tampered bytes %q", got)
	}
}
