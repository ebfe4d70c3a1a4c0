package checks

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// finding is one problem found in a layer.
type finding struct {
	layer int
	path  string
	what  string
}

// scan is what one pass over the layers learns.
type scan struct {
	fs        map[string]bool // merged filesystem after whiteouts
	passwd    []byte          // merged /etc/passwd, nil if absent
	hiddenLck []byte          // merged <app>/node_modules/.package-lock.json
	secrets   []finding
	caches    map[finding]int // (layer, matched root) -> entries
}

var (
	npmTokenRE   = regexp.MustCompile(`npm_[A-Za-z0-9]{36}`)
	authLineRE   = regexp.MustCompile(`(?m)^[^#;\n]*_auth(Token)?\s*=\s*\S`)
	registryRE   = regexp.MustCompile(`//[^\s]+/:_auth(Token)?=`)
	privateKeyRE = regexp.MustCompile(`-----BEGIN ([A-Z]+ )?PRIVATE KEY-----`)
	sshKeyNames  = map[string]bool{"id_rsa": true, "id_dsa": true, "id_ecdsa": true, "id_ed25519": true}
	cachePaths   = []string{
		"/root/.npm", "/home/*/.npm", "/root/.cache/yarn", "npm-debug.log*", "yarn-error.log",
		// yarn 1, yarn berry and pnpm caches and stores.
		"/usr/local/share/.cache/yarn", "/root/.yarn/berry", "/home/*/.yarn/berry",
		"/root/.local/share/pnpm", "/home/*/.local/share/pnpm", ".pnpm-store",
	}
)

// contentSecrets names the secrets in b (never the secret itself).
func contentSecrets(b []byte) []string {
	var out []string
	if npmTokenRE.Match(b) {
		out = append(out, "npm token (npm_...)")
	}
	if registryRE.Match(b) {
		out = append(out, "registry auth (//host/:_authToken=)")
	}
	if privateKeyRE.Match(b) {
		out = append(out, "private key")
	}
	return out
}

func isEnvFile(base string) bool {
	if base != ".env" && !strings.HasPrefix(base, ".env.") {
		return false
	}
	switch path.Ext(base) {
	case ".example", ".sample", ".template", ".dist":
		return false
	}
	return true
}

// scanImage reads every layer once, bottom up.
func scanImage(img v1.Image, o Options) (*scan, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading layers: %w", err)
	}
	s := &scan{fs: map[string]bool{}, caches: map[finding]int{}}
	lockPath := o.AppDir + "/node_modules/.package-lock.json"
	for i, l := range layers {
		if err := s.layer(i, l, o, lockPath); err != nil {
			return nil, fmt.Errorf("reading layer %d: %w", i, err)
		}
	}
	return s, nil
}

func (s *scan) layer(i int, l v1.Layer, o Options, lockPath string) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()

	var whiteouts, opaque, added []string
	files := map[string][]byte{} // passwd / hidden lockfile seen in this layer
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		p := cleanName(hdr.Name)
		dir, base := path.Dir(p), path.Base(p)
		switch {
		case base == ".wh..wh..opq":
			opaque = append(opaque, dir)
			continue
		case strings.HasPrefix(base, ".wh."):
			whiteouts = append(whiteouts, path.Join(dir, strings.TrimPrefix(base, ".wh.")))
			continue
		}
		added = append(added, p)

		allowed := matchAny(o.Allow, p)
		if !allowed {
			for _, pat := range cachePaths {
				if root := matchPath(pat, p); root != "" {
					s.caches[finding{layer: i, path: root}]++
					break
				}
			}
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA { //nolint:staticcheck
			continue
		}
		inApp := under(p, o.AppDir)
		secretName := !allowed && (base == ".npmrc" || sshKeyNames[base] ||
			inApp && isEnvFile(base) && !under(p, o.AppDir+"/node_modules"))
		wantContent := p == "etc/passwd" || p == lockPath || secretName || inApp && !allowed && hdr.Size > 0
		if !wantContent {
			continue
		}
		limit := o.MaxScanBytes
		if p == "etc/passwd" || p == lockPath {
			limit = 64 << 20
		}
		b, err := io.ReadAll(io.LimitReader(tr, limit))
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if p == "etc/passwd" || p == lockPath {
			files[p] = b
		}
		if allowed {
			continue
		}
		add := func(what string) { s.secrets = append(s.secrets, finding{layer: i, path: p, what: what}) }
		switch {
		case base == ".npmrc" && authLineRE.Match(b):
			add(".npmrc with registry auth")
		case base == ".npmrc" && inApp:
			add(".npmrc in the app directory")
		case sshKeyNames[base]:
			add("SSH private key")
		case isEnvFile(base) && inApp && !under(p, o.AppDir+"/node_modules"):
			add(".env file")
		}
		if inApp && !bytes.Contains(b[:min(len(b), 8000)], []byte{0}) {
			for _, what := range contentSecrets(b) {
				add(what)
			}
		}
	}

	// Whiteouts hide lower layers only, so apply them before this layer's
	// own entries.
	for _, d := range opaque {
		s.remove(d, false)
	}
	for _, p := range whiteouts {
		s.remove(p, true)
	}
	for _, p := range added {
		s.fs[p] = true
	}
	if _, ok := s.fs["etc/passwd"]; !ok {
		s.passwd = nil
	}
	if _, ok := s.fs[lockPath]; !ok {
		s.hiddenLck = nil
	}
	if b, ok := files["etc/passwd"]; ok {
		s.passwd = b
	}
	if b, ok := files[lockPath]; ok {
		s.hiddenLck = b
	}
	return nil
}

// remove deletes everything below p from the merged view, and p itself if
// self is set.
func (s *scan) remove(p string, self bool) {
	for q := range s.fs {
		if (self && q == p) || (q != p && under(q, p)) {
			delete(s.fs, q)
		}
	}
}

// exists reports whether p or anything below it is in the merged view.
func (s *scan) exists(p string) bool {
	if s.fs[p] {
		return true
	}
	for q := range s.fs {
		if under(q, p) {
			return true
		}
	}
	return false
}

func (f finding) String() string {
	return fmt.Sprintf("layer %d: /%s: %s", f.layer, f.path, f.what)
}

func sortFindings(fs []finding) {
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].layer != fs[j].layer {
			return fs[i].layer < fs[j].layer
		}
		if fs[i].path != fs[j].path {
			return fs[i].path < fs[j].path
		}
		return fs[i].what < fs[j].what
	})
}
