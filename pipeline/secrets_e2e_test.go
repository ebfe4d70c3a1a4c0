package pipeline_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
	"dagger/immutable/publish"
	"dagger/immutable/sbom"
)

// TestSecretsNeverLeak releases an app that installs @acme/greet from a
// private npm registry (token in a Dagger secret) and publishes through a
// registry that requires a password. Neither value, raw, base64 or
// URL-encoded, may appear in any layer file, config, manifest, the release
// record, the SBOM, the Dagger log, the pipeline log or an error. Controls:
// a wrong token makes npm ci fail with E401, and the same search finds the
// secret in an image made to contain it. A second token gives the same
// digest: the token is not an input of the image.
func TestSecretsNeverLeak(t *testing.T) {
	var daggerLog lockedBuffer
	c := clientWithLog(t, &daggerLog)
	npmToken, altToken, wrongToken, password := randomHex(t), randomHex(t), randomHex(t), randomHex(t)
	const user = "ci"
	scan := newLeakScan(map[string]string{"npm token": npmToken, "second npm token": altToken, "registry password": password})
	scan.add("registry basic auth", user+":"+password)
	scan.keep = func(path string) bool {
		return strings.HasPrefix(path, "app/node_modules/@acme/") || strings.HasSuffix(path, ".npmrc")
	}

	npm := newNpmRegistry(t, randomHex(t), npmToken, altToken)
	dir := npm.app(t)
	repo := testenv.AuthRegistry(t, user, password) + "/secrets-app"
	auth := &authn.Basic{Username: user, Password: password}
	build := func(secretName, token string) pipeline.BuildOptions {
		o := options(c, dir, "1.0.0")
		o.NpmToken = c.SetSecret(secretName, token)
		o.NpmRegistry = npm.service(c)
		return o
	}
	var texts []string // error texts and reports, searched at the end

	// Control: a wrong token is refused, so the build cannot have been
	// served without the real one. It runs first, before any npm cache
	// could hold this run's package.
	_, _, err := pipeline.BuildImage(ctx(t), c, build("npm-token-wrong", wrongToken), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "E401") {
		t.Fatalf("build with a wrong npm token: err = %v, want npm ci failing with E401", err)
	}
	if strings.Contains(err.Error(), wrongToken) {
		t.Errorf("the wrong token is in the build error")
	}
	texts = append(texts, err.Error())
	if ok, refused := npm.counts(); ok != 0 || refused == 0 {
		t.Fatalf("npm registry after the wrong token: %d served, %d refused; want 0 served, some refused", ok, refused)
	}

	var pipelineLog lockedBuffer
	r, err := pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{
		Build: build("npm-token", npmToken), WorkDir: t.TempDir(),
		Registry: pipeline.Registry{
			Repo: repo, Access: publish.Access{Auth: auth}, Publish: publish.Options{Log: &pipelineLog},
		},
		AdvisoryDB: testenv.Path("fixtures", "osv"),
	})
	if r != nil {
		var out bytes.Buffer
		r.Format(&out)
		js, _ := json.Marshal(r)
		texts = append(texts, out.String(), string(js))
		t.Log("\n" + out.String())
	}
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	if ok, _ := npm.counts(); ok == 0 {
		t.Errorf("the npm registry served no authorized request")
	}

	_, again, err := pipeline.BuildImage(ctx(t), c, build("npm-token-alt", altToken), t.TempDir())
	if err != nil {
		t.Fatalf("build with the second npm token: %v", err)
	}
	if again.Digest != r.Digest {
		t.Errorf("digest with another npm token = %s, want %s (the token must not change the image)", again.Digest, r.Digest)
	}

	// Without a token the private package cannot be installed: builds with
	// a token keep npm's cache to themselves.
	noToken := options(c, dir, "1.0.0")
	noToken.NpmRegistry = npm.service(c)
	_, refusedBefore := npm.counts()
	if _, _, err := pipeline.BuildImage(ctx(t), c, noToken, t.TempDir()); err == nil {
		t.Errorf("build without an npm token succeeded: the private package came from a cache")
	} else if _, refused := npm.counts(); refused == refusedBefore {
		t.Errorf("build without an npm token failed without asking the npm registry: %v", err)
	}

	tags, err := scan.repo(ctx(t), repo, remote.WithAuth(auth))
	if err != nil {
		t.Fatal(err)
	}
	sbomTag, _ := sbom.Tag(r.Digest)
	for _, want := range []string{r.Result.VersionTag, r.Result.RecordTag, sbomTag} {
		if !slices.Contains(tags, want) {
			t.Errorf("tag %s was not searched (tags %v)", want, tags)
		}
	}
	if got := string(scan.kept["app/node_modules/@acme/greet/index.js"]); got != npm.index {
		t.Errorf("image's app/node_modules/@acme/greet/index.js = %q, want this run's package %q", got, npm.index)
	}
	for path := range scan.kept {
		if strings.HasSuffix(path, ".npmrc") {
			t.Errorf("%s is in the image", path)
		}
	}
	scan.text("dagger log", daggerLog.Bytes())
	scan.text("pipeline log", pipelineLog.Bytes())
	for i, s := range texts {
		scan.text(fmt.Sprintf("error or report %d", i), []byte(s))
	}
	if !strings.Contains(daggerLog.String(), "npm ci") {
		t.Errorf("the Dagger log (%d bytes) does not show npm ci: was it captured?", daggerLog.Len())
	}
	for _, l := range scan.leaks {
		t.Errorf("leak: %s", l)
	}

	// Control: the same search finds a token in a layer file.
	control := newLeakScan(map[string]string{"npm token": npmToken})
	controlRepo := pushWithSecret(t, repo+"-control", auth, "etc/leaked", "token="+npmToken)
	if _, err := control.repo(ctx(t), controlRepo, remote.WithAuth(auth)); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(control.leaks, func(l string) bool { return strings.HasSuffix(l, "etc/leaked: npm token (raw)") }) {
		t.Errorf("control: the search did not find the token planted in etc/leaked: %v", control.leaks)
	}

	testenv.Summary(t, "secrets", "%d leaks in %d layers (%d files, %d bytes of logs searched)",
		len(scan.leaks), scan.layers, scan.files, scan.textBytes)
}

// pushWithSecret pushes an image with one layer holding file, and returns
// its repository.
func pushWithSecret(t *testing.T, repo string, auth authn.Authenticator, file, content string) string {
	t.Helper()
	layer := static.NewLayer(npmTarball(t, map[string]string{file: content}), types.OCILayer)
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(repo + ":control")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(auth), remote.WithContext(ctx(t))); err != nil {
		t.Fatal(err)
	}
	return repo
}

// clientWithLog is testenv.Client with Dagger's log written to w.
func clientWithLog(t *testing.T, w *lockedBuffer) *dagger.Client {
	t.Helper()
	testenv.Require(t)
	c, err := dagger.Connect(context.Background(), dagger.WithLogOutput(w))
	if err != nil {
		t.Fatalf("dagger.Connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *lockedBuffer) String() string { return string(b.Bytes()) }

func (b *lockedBuffer) Len() int { return len(b.Bytes()) }

func randomHex(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
