package attest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/faultproxy"
)

// tagPuts counts manifest PUTs by tag, per tag.
type tagPuts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *tagPuts) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if faultproxy.TagPut(r) {
			_, tag, _ := strings.Cut(r.URL.Path, "/manifests/")
			c.mu.Lock()
			c.n[tag]++
			c.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (c *tagPuts) get(tag string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[tag]
}

// testRegistry serves an in-memory registry: with the referrers API or
// without, and optionally refusing to overwrite any tag.
func testRegistry(t *testing.T, referrersAPI, immutable bool) (name.Repository, *tagPuts) {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(referrersAPI))
	if immutable {
		h = faultproxy.Middleware(faultproxy.TagPut, faultproxy.ImmutableTags())(h)
	}
	puts := &tagPuts{n: map[string]int{}}
	s := httptest.NewServer(puts.wrap(h))
	t.Cleanup(s.Close)
	repo, err := name.NewRepository(strings.TrimPrefix(s.URL, "http://") + "/app")
	if err != nil {
		t.Fatal(err)
	}
	return repo, puts
}

// pushImage pushes a random image tagged v1.0.0 and returns its descriptor.
func pushImage(t *testing.T, repo name.Repository) v1.Descriptor {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag("v1.0.0"), img); err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(repo.Tag("v1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	return *d
}

func testRelease(t *testing.T, repo name.Repository, subject v1.Descriptor, key *ecdsa.PrivateKey, revision string) Release {
	t.Helper()
	st, err := NewProvenance(Inputs{
		Repo: repo.String(), Digest: subject.Digest.String(), Version: "1.0.0", Revision: revision,
		SourceURL: "https://git.example.com/app", RuntimeBase: "localhost:5000/immutable/node-runtime@sha256:" + strings.Repeat("a", 64),
		Gates: []Gate{{Name: "unit", Passed: true}, {Name: "smoke", Passed: true, Skipped: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := Release{Subject: subject, Provenance: st, CycloneDX: []byte(`{"bomFormat":"CycloneDX"}`), SPDX: []byte(`{"spdxVersion":"SPDX-2.3"}`)}
	if key != nil {
		r.Key = key
	}
	return r
}

func TestPushReferrers(t *testing.T) {
	ctx := context.Background()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                    string
		referrersAPI, immutable bool
	}{
		{"referrers API", true, false},
		{"tag fallback", false, false},
		{"tag fallback, immutable tags", false, true},
		{"referrers API, immutable tags", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo, puts := testRegistry(t, tc.referrersAPI, tc.immutable)
			subject := pushImage(t, repo)
			digest := subject.Digest.String()
			b, err := Build(ctx, repo, testRelease(t, repo, subject, key, "abc123"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := Push(ctx, repo, &b.Set)
			if err != nil {
				t.Fatalf("Push: %v", err)
			}
			if p.ReferrersAPI != tc.referrersAPI {
				t.Errorf("ReferrersAPI = %v, want %v", p.ReferrersAPI, tc.referrersAPI)
			}
			fallback, _ := FallbackTag(digest)
			wantPuts := 0
			if !tc.referrersAPI {
				wantPuts = 1
			}
			if n := puts.get(fallback); n != wantPuts {
				t.Errorf("fallback tag %s written %d times, want %d", fallback, n, wantPuts)
			}
			for _, suffix := range []string{".sig", ".att"} {
				if n := puts.get(fallback + suffix); n != 1 {
					t.Errorf("%s written %d times, want 1", fallback+suffix, n)
				}
			}

			a, err := List(ctx, repo, digest)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := a.Kinds(), []string{"signature", "provenance", "sbom:cyclonedx", "sbom:spdx"}; !slices.Equal(got, want) {
				t.Errorf("Kinds() = %v, want %v", got, want)
			}
			if len(a.Referrers) != 4 || !a.CosignSignature || !a.CosignAttestations || a.LegacySBOM {
				t.Errorf("attachments = %d referrers, .sig %v, .att %v, .sbom %v; want 4, true, true, false", len(a.Referrers), a.CosignSignature, a.CosignAttestations, a.LegacySBOM)
			}
			v, err := a.Provenance(ctx, &key.PublicKey)
			if err != nil {
				t.Fatalf("Provenance: %v", err)
			}
			if !v.Signed || v.SubjectDigest() != digest || v.Predicate.BuildDefinition.ExternalParameters.Source.Revision != "abc123" {
				t.Errorf("provenance = signed %v, subject %s, revision %q", v.Signed, v.SubjectDigest(), v.Predicate.BuildDefinition.ExternalParameters.Source.Revision)
			}
			sb, err := a.Fetch(a.Of(ArtifactSPDX)[0], ArtifactSPDX)
			if err != nil || !strings.Contains(string(sb), "SPDX-2.3") {
				t.Errorf("SPDX referrer = %q, %v", sb, err)
			}

			t.Run("same release again writes no tag", func(t *testing.T) {
				again, err := Build(ctx, repo, testRelease(t, repo, subject, key, "abc123"))
				if err != nil {
					t.Fatal(err)
				}
				if again.Provenance != b.Provenance || again.Signature != b.Signature || again.Attestations != b.Attestations || again.Signatures != b.Signatures {
					t.Errorf("rebuilt attachments differ: %+v vs %+v", again, b)
				}
				p, err := Push(ctx, repo, &again.Set)
				if err != nil {
					t.Fatalf("Push again: %v", err)
				}
				if len(p.Tags) != 0 {
					t.Errorf("Push again wrote tags %v, want none", p.Tags)
				}
			})

			t.Run("other provenance for the same digest", func(t *testing.T) {
				other, err := Build(ctx, repo, testRelease(t, repo, subject, key, "def456"))
				if err != nil {
					t.Fatal(err)
				}
				_, err = Push(ctx, repo, &other.Set)
				if tc.immutable {
					if err == nil || !strings.Contains(err.Error(), "refuses to overwrite") {
						t.Errorf("Push to an immutable registry = %v, want a refused overwrite naming the tag", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Push: %v", err)
				}
				a, _ := List(ctx, repo, digest)
				if n := len(a.Of(ArtifactProvenance)); n != 2 {
					t.Errorf("%d provenance referrers, want 2 (both kept)", n)
				}
			})
		})
	}
}

// TestPerManifestFallbackFailsOnImmutableTags is the control: pushing
// referrers one by one with go-containerregistry's own fallback handling
// rewrites the fallback tag per manifest, which a registry with immutable
// tags refuses from the second on. Push exists for this.
func TestPerManifestFallbackFailsOnImmutableTags(t *testing.T) {
	repo, _ := testRegistry(t, false, true)
	subject := pushImage(t, repo)
	b, err := Build(context.Background(), repo, testRelease(t, repo, subject, nil, "abc123"))
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, r := range b.Referrers {
		for _, l := range r.blobs {
			if err := remote.WriteLayer(repo, l); err != nil {
				t.Fatal(err)
			}
		}
		errs = append(errs, remote.Put(repo.Digest(r.Digest.String()), r))
	}
	if errs[0] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "immutable") {
		t.Errorf("per-manifest fallback on immutable tags: errors %v, want the first to pass and the second refused", errs)
	}
}
