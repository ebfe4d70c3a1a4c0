package checks

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// file is a tar entry; a name ending in "/" is a directory.
type file struct {
	name, body string
}

func layer(t *testing.T, files ...file) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(f.body)), ModTime: time.Unix(0, 0)}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil && h.Size > 0 {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

const baseDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

// spec describes a test image; good() is one that passes every rule.
type spec struct {
	layers  [][]file
	user    string
	env     []string
	labels  map[string]string
	history []string
}

func good() spec {
	return spec{
		layers: [][]file{
			{ // base
				{name: "etc/passwd", body: "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n"},
				{name: "usr/local/bin/node", body: "ELF"},
				{name: "usr/local/lib/node_modules/npm/package.json", body: "{}"},
			},
			{ // production dependencies
				{name: "app/node_modules/express/index.js", body: "module.exports = {}"},
				{name: "app/node_modules/.package-lock.json", body: `{"lockfileVersion":3,"packages":{"":{},"node_modules/express":{}}}`},
			},
			{ // app
				{name: "app/app.js", body: "require('http').createServer().listen(8080)"},
				{name: "app/package.json", body: `{"name":"app","devDependencies":{"jest":"29"}}`},
				{name: "app/.env.example", body: "PORT=8080"},
			},
		},
		user: "node",
		env:  []string{"PATH=/usr/local/bin:/usr/bin", "NODE_ENV=production", "TOKEN_FILE="},
		labels: map[string]string{
			"org.opencontainers.image.version":     "1.2.3",
			"org.opencontainers.image.revision":    "abc123",
			"org.opencontainers.image.source":      "https://example.com/app",
			"org.opencontainers.image.created":     "2024-01-01T00:00:00Z",
			"org.opencontainers.image.base.name":   "localhost:5000/immutable/node-runtime",
			"org.opencontainers.image.base.digest": baseDigest,
		},
		history: []string{"COPY . /app"},
	}
}

func (s spec) image(t *testing.T) v1.Image {
	t.Helper()
	img := empty.Image
	for _, fs := range s.layers {
		var err error
		if img, err = mutate.AppendLayers(img, layer(t, fs...)); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.User = s.user
	cf.Config.Env = s.env
	cf.Config.Labels = s.labels
	for _, h := range s.history {
		cf.History = append(cf.History, v1.History{CreatedBy: h})
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// with returns s plus a top layer of files.
func (s spec) with(files ...file) spec {
	s.layers = append(append([][]file(nil), s.layers...), files)
	return s
}

func (s spec) label(k, v string) spec {
	l := map[string]string{}
	for k, v := range s.labels {
		l[k] = v
	}
	if v == "" {
		delete(l, k)
	} else {
		l[k] = v
	}
	s.labels = l
	return s
}
