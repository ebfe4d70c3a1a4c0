package faultproxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
)

// TagPut matches a manifest PUT by tag (not by digest): PUT
// /v2/<name>/manifests/<tag>.
func TagPut(r *http.Request) bool {
	if r.Method != http.MethodPut {
		return false
	}
	_, ref, ok := strings.Cut(r.URL.Path, "/manifests/")
	return ok && !strings.Contains(ref, ":")
}

// ImmutableTags plays a registry with tag immutability (ECR's
// IMMUTABLE setting, a Harbor immutability rule): a manifest PUT to a tag
// that already exists is refused with 400 TAG_INVALID ("tag is immutable"),
// whatever the manifest; a new tag is forwarded. Pair it with TagPut and
// Always, e.g. Rule{Match: TagPut, Times: Always, Fault: ImmutableTags()}.
// Every tag PUT counts as injected, refused or not.
func ImmutableTags() Fault {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		head, err := http.NewRequestWithContext(r.Context(), http.MethodHead, r.URL.String(), nil)
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		head.Header = r.Header.Clone()
		head.Header.Set("Accept", strings.Join([]string{
			"application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
			"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
		}, ","))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, head)
		if rec.Code != http.StatusOK {
			next.ServeHTTP(w, r)
			return
		}
		_, tag, _ := strings.Cut(r.URL.Path, "/manifests/")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"errors":[{"code":"TAG_INVALID","message":"faultproxy: tag %s is immutable and already exists"}]}`+"\n", tag)
	}
}

// Middleware applies fault to every request match selects, in front of an
// in-process handler (e.g. go-containerregistry's pkg/registry in
// memregistry.StartWith), without a proxy.
func Middleware(match func(*http.Request) bool, fault Fault) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match == nil || match(r) {
				fault(w, r, next)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
