package publish

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// repoBlobs makes the in-memory registry keep blobs per repository, as
// real registries do, and serve cross-repository mounts (POST
// …/blobs/uploads/?mount=<digest>&from=<repo>): go-containerregistry's
// registry keeps one blob store for every repository and ignores mounts.
type repoBlobs struct {
	mu     sync.Mutex
	have   map[string]map[string]bool // repo -> digest -> present
	next   http.Handler
	mounts int
}

func (b *repoBlobs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	repo, rest, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/blobs/")
	if !ok {
		b.next.ServeHTTP(w, r)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case strings.HasPrefix(rest, "uploads/") && r.Method == http.MethodPost && r.URL.Query().Get("mount") != "":
		d, from := r.URL.Query().Get("mount"), r.URL.Query().Get("from")
		if b.have[from][d] {
			b.add(repo, d)
			b.mounts++
			w.Header().Set("Location", "/v2/"+repo+"/blobs/"+d)
			w.WriteHeader(http.StatusCreated)
			return
		}
	case strings.HasPrefix(rest, "uploads/") && r.Method == http.MethodPut:
		rec := &statusWriter{ResponseWriter: w}
		b.next.ServeHTTP(rec, r)
		if rec.status == http.StatusCreated {
			b.add(repo, r.URL.Query().Get("digest"))
		}
		return
	case r.Method == http.MethodHead || r.Method == http.MethodGet:
		if !b.have[repo][rest] {
			w.WriteHeader(http.StatusNotFound)
			return
		}
	}
	b.next.ServeHTTP(w, r)
}

func (b *repoBlobs) add(repo, d string) {
	if b.have[repo] == nil {
		b.have[repo] = map[string]bool{}
	}
	b.have[repo][d] = true
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// TestMountFrom publishes an image made of a base and one more layer into
// repositories of a registry that holds the base in its own repository:
// with the base in MountFrom its layers are mounted (only the new layer
// and the config are sent); without it, or from another registry, they
// are uploaded.
func TestMountFrom(t *testing.T) {
	blobs := &repoBlobs{have: map[string]map[string]bool{}}
	host := strings.TrimSuffix(newRegistry(t, func(h http.Handler) http.Handler { blobs.next = h; return blobs }), "/my-app")
	base, err := random.Image(4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	baseRef, err := name.ParseReference(host + "/team/base@" + digestOf(t, base))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(baseRef, base); err != nil {
		t.Fatal(err)
	}
	app, err := random.Layer(512, "application/vnd.oci.image.layer.v1.tar+gzip")
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, app)
	if err != nil {
		t.Fatal(err)
	}
	appSize, _ := app.Size()
	cfg, _ := img.RawConfigFile()
	small := appSize + int64(len(cfg)) // what must be sent with the mounts

	for _, tc := range []struct {
		name      string
		from      []string
		mounted   int
		wantBytes func(int64) bool
	}{
		{"mounted from the base", []string{baseRef.String()}, 3, func(n int64) bool { return n == small }},
		{"no mount source", nil, 0, func(n int64) bool { return n > small+3*4096 }},
		{"source in another registry", []string{"registry.example.com/team/base@" + digestOf(t, base)}, 0, func(n int64) bool { return n > small+3*4096 }},
		{"unreadable source", []string{host + "/team/missing:v1", baseRef.String()}, 3, func(n int64) bool { return n == small }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			o := testOptions()
			o.MountFrom, o.Log = tc.from, &log
			repo := host + "/app-" + strings.ReplaceAll(tc.name, " ", "-")
			before := blobs.mounts
			res, err := Publish(context.Background(), target(t, repo), img, ver(t, "1.0.0"), Record{}, o)
			if err != nil {
				t.Fatal(err)
			}
			if res.BlobsMounted != tc.mounted || blobs.mounts-before != tc.mounted || !tc.wantBytes(res.BytesUploaded) {
				t.Errorf("mounted %d (registry saw %d), uploaded %d bytes in %d blobs; want %d mounted (only the app layer and config, %d bytes, sent when mounting)\n%s",
					res.BlobsMounted, blobs.mounts-before, res.BytesUploaded, res.BlobsUploaded, tc.mounted, small, log.String())
			}
			if err := fetchAll(repo, res.Digest); err != nil {
				t.Errorf("published image incomplete: %v", err)
			}
		})
	}
}

// fetchAll reads every blob of repo@digest.
func fetchAll(repo, digest string) error {
	ref, err := name.ParseReference(repo + "@" + digest)
	if err != nil {
		return err
	}
	img, err := remote.Image(ref)
	if err != nil {
		return err
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range ls {
		if _, err := l.Size(); err != nil {
			return err
		}
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		rc.Close()
	}
	return nil
}

var _ v1.Image = (*mountImage)(nil)
