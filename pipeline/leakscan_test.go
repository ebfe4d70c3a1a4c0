package pipeline_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/testenv"
)

// leakScan searches registry contents and texts for secret values, each
// in the forms it could be written in: raw, base64 (padded or not, std or
// URL alphabet) and URL-encoded.
type leakScan struct {
	needles []needle
	// leaks are the findings, "where: what".
	leaks []string
	// layers and files count the layer blobs and the tar entries searched;
	// textBytes the bytes of logs and other texts.
	layers, files, textBytes int
	// keep selects layer files whose contents are kept in kept, by path.
	keep func(path string) bool
	kept map[string][]byte
	seen map[v1.Hash]bool
}

type needle struct {
	label string
	value []byte
}

func newLeakScan(secrets map[string]string) *leakScan {
	s := &leakScan{kept: map[string][]byte{}, seen: map[v1.Hash]bool{}, keep: func(string) bool { return false }}
	for label, v := range secrets {
		s.add(label, v)
	}
	return s
}

// add searches for v, labelled label, in every form.
func (s *leakScan) add(label, v string) {
	for _, f := range testenv.SecretForms(v) {
		s.needles = append(s.needles, needle{label: label + " (" + f.Form + ")", value: []byte(f.Value)})
	}
}

// text searches a log or any other text.
func (s *leakScan) text(where string, b []byte) {
	s.textBytes += len(b)
	s.search(where, b)
}

func (s *leakScan) search(where string, b []byte) {
	for _, n := range s.needles {
		if bytes.Contains(b, n.value) {
			s.leaks = append(s.leaks, where+": "+n.label)
		}
	}
}

// repo searches every tag of repo: each manifest (and index), config and
// layer. Layers are searched compressed, decompressed, and file by file
// (names, link targets, PAX records, contents, gzipped contents). It
// returns the tags.
func (s *leakScan) repo(ctx context.Context, repo string, opts ...remote.Option) ([]string, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return nil, err
	}
	opts = append(opts, remote.WithContext(ctx))
	tags, err := remote.List(r, opts...)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", repo, err)
	}
	for _, tag := range tags {
		desc, err := remote.Get(r.Tag(tag), opts...)
		if err != nil {
			return nil, fmt.Errorf("%s:%s: %w", repo, tag, err)
		}
		if err := s.manifest(r, tag, desc.Digest, desc.Manifest, desc.MediaType.IsIndex(), opts); err != nil {
			return nil, fmt.Errorf("%s:%s: %w", repo, tag, err)
		}
	}
	return tags, nil
}

func (s *leakScan) manifest(r name.Repository, where string, d v1.Hash, raw []byte, index bool, opts []remote.Option) error {
	if s.seen[d] {
		return nil
	}
	s.seen[d] = true
	s.search(where+" manifest", raw)
	if index {
		var idx v1.IndexManifest
		if err := json.Unmarshal(raw, &idx); err != nil {
			return err
		}
		for _, m := range idx.Manifests {
			desc, err := remote.Get(r.Digest(m.Digest.String()), opts...)
			if err != nil {
				return err
			}
			if err := s.manifest(r, where+"@"+m.Digest.String(), m.Digest, desc.Manifest, desc.MediaType.IsIndex(), opts); err != nil {
				return err
			}
		}
		return nil
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	cfg, err := blob(r, m.Config.Digest, opts)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	s.search(where+" config", cfg)
	for _, l := range m.Layers {
		if s.seen[l.Digest] {
			continue
		}
		s.seen[l.Digest] = true
		b, err := blob(r, l.Digest, opts)
		if err != nil {
			return fmt.Errorf("layer %s: %w", l.Digest, err)
		}
		s.layers++
		if err := s.layer(where+" layer "+l.Digest.String()[:19], b); err != nil {
			return fmt.Errorf("layer %s: %w", l.Digest, err)
		}
	}
	return nil
}

// layer searches one blob: as stored, gunzipped, and as a tar when it is
// one.
func (s *leakScan) layer(where string, b []byte) error {
	s.search(where, b)
	u, err := gunzip(b)
	if err != nil {
		return err
	}
	s.search(where+" (gunzipped)", u)
	tr := tar.NewReader(bytes.NewReader(u))
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil && n == 0 {
			return nil // not a tar (an SBOM, a record): searched whole above
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		s.files++
		path := strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")
		meta := h.Name + "\x00" + h.Linkname
		for k, v := range h.PAXRecords {
			meta += "\x00" + k + "=" + v
		}
		s.search(where+" "+path+" (header)", []byte(meta))
		body, err := io.ReadAll(tr)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		s.search(where+" "+path, body)
		if z, err := gunzip(body); err == nil && !bytes.Equal(z, body) {
			s.search(where+" "+path+" (gunzipped)", z)
		}
		if s.keep(path) {
			s.kept[path] = body
		}
	}
}

// blob reads a blob as stored.
func blob(r name.Repository, d v1.Hash, opts []remote.Option) ([]byte, error) {
	l, err := remote.Layer(r.Digest(d.String()), opts...)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// gunzip decompresses gzip data; anything else is returned as it is.
func gunzip(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
