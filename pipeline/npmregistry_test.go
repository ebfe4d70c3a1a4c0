package pipeline_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"dagger.io/dagger"

	"dagger/immutable/pipeline"
)

// npmRegistry is a private npm registry for one test: it serves one
// scoped package, @acme/greet@1.0.0, to requests that carry one of its
// tokens as "Authorization: Bearer <token>" and answers 401 to any other.
type npmRegistry struct {
	srv    *httptest.Server
	port   int
	tokens map[string]bool
	// index is the package's index.js; its nonce makes the tarball (and
	// its integrity) new in every test run, so no npm cache holds it.
	index     string
	tgz       []byte
	integrity string

	mu                   sync.Mutex
	authorized, rejected int
}

const (
	greetName    = "@acme/greet"
	greetVersion = "1.0.0"
	greetTarball = "/@acme/greet/-/greet-1.0.0.tgz"
)

// newNpmRegistry starts the registry on 127.0.0.1:<free port>, closed at
// cleanup.
func newNpmRegistry(t *testing.T, nonce string, tokens ...string) *npmRegistry {
	t.Helper()
	r := &npmRegistry{tokens: map[string]bool{}}
	for _, tok := range tokens {
		r.tokens[tok] = true
	}
	r.index = fmt.Sprintf("'use strict';\n// build %s\nmodule.exports = (name) => `hello ${name}`;\n", nonce)
	r.tgz = npmTarball(t, map[string]string{
		"package/package.json": fmt.Sprintf(`{"name": %q, "version": %q, "main": "index.js", "license": "MIT"}`+"\n", greetName, greetVersion),
		"package/index.js":     r.index,
	})
	sum := sha512.Sum512(r.tgz)
	r.integrity = "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	u, _ := url.Parse(r.srv.URL)
	r.port, _ = strconv.Atoi(u.Port())
	return r
}

// base is the registry's URL as the builder reaches it.
func (r *npmRegistry) base() string {
	return fmt.Sprintf("http://%s:%d", pipeline.DefaultNpmRegistryHost, r.port)
}

// service exposes the registry to the engine under the same port.
func (r *npmRegistry) service(c *dagger.Client) *dagger.Service {
	return c.Host().Service([]dagger.PortForward{{Frontend: r.port, Backend: r.port}}, dagger.HostServiceOpts{Host: "127.0.0.1"})
}

// counts returns how many requests were served and how many refused.
func (r *npmRegistry) counts() (authorized, rejected int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.authorized, r.rejected
}

func (r *npmRegistry) serve(w http.ResponseWriter, req *http.Request) {
	tok, ok := bytes.CutPrefix([]byte(req.Header.Get("Authorization")), []byte("Bearer "))
	r.mu.Lock()
	if !ok || !r.tokens[string(tok)] {
		r.rejected++
		r.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Bearer realm="acme"`)
		http.Error(w, `{"error": "authentication required"}`, http.StatusUnauthorized)
		return
	}
	r.authorized++
	r.mu.Unlock()
	switch req.URL.EscapedPath() {
	case "/@acme%2fgreet", "/@acme%2Fgreet", "/@acme/greet":
		w.Header().Set("Content-Type", "application/json")
		w.Write(r.packument())
	case greetTarball:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(r.tgz)
	default:
		http.NotFound(w, req)
	}
}

func (r *npmRegistry) packument() []byte {
	sha := sha1.Sum(r.tgz)
	b, _ := json.Marshal(map[string]any{
		"name":      greetName,
		"dist-tags": map[string]string{"latest": greetVersion},
		"versions": map[string]any{greetVersion: map[string]any{
			"name": greetName, "version": greetVersion, "main": "index.js", "license": "MIT",
			"dist": map[string]string{"tarball": r.base() + greetTarball, "integrity": r.integrity, "shasum": hex.EncodeToString(sha[:])},
		}},
	})
	return b
}

// app is a copy of fixtures/app that depends on @acme/greet from this
// registry: package.json, a lockfile entry with its URL and integrity, an
// .npmrc naming the registry and ${NPM_TOKEN}, and app.js requiring it.
// Its .dockerignore re-includes .npmrc, which the build must overrule.
func (r *npmRegistry) app(t *testing.T) string {
	return variant(t, func(dir string) {
		dep := fmt.Sprintf(`"%s": %q,`+"\n    ", greetName, greetVersion)
		replaceIn(t, filepath.Join(dir, "package.json"), `"ms": "2.1.3"`, dep+`"ms": "2.1.3"`)
		lock := filepath.Join(dir, "package-lock.json")
		replaceIn(t, lock, `"ms": "2.1.3"`, dep+`  "ms": "2.1.3"`)
		entry := fmt.Sprintf(`"node_modules/%s": {
      "version": %q,
      "resolved": %q,
      "integrity": %q,
      "license": "MIT"
    },
    `, greetName, greetVersion, r.base()+greetTarball, r.integrity)
		replaceIn(t, lock, `"node_modules/@cacheable/memory": {`, entry+`"node_modules/@cacheable/memory": {`)
		replaceIn(t, filepath.Join(dir, "app.js"), "const ms = require('ms');", "const ms = require('ms');\nrequire('@acme/greet');")
		host := r.base()[len("http:"):]
		npmrc := fmt.Sprintf("@acme:registry=%s/\n%s/:_authToken=${%s}\n", r.base(), host, pipeline.NpmTokenEnv)
		if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(npmrc), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(filepath.Join(dir, ".dockerignore"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString("!.npmrc\n"); err != nil {
			t.Fatal(err)
		}
	})
}

// npmTarball is a package tarball with fixed names, modes and times.
func npmTarball(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	mtime := time.Date(1985, 10, 26, 8, 15, 0, 0, time.UTC)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		body := files[name]
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: mtime, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
