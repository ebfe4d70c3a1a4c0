package pipeline

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"time"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"dagger/immutable/attest"
	"dagger/immutable/publish"
)

// Input part names of a release's publish.Inputs.
const (
	InputPipeline    = "pipeline"    // this program (the pipeline's own code and toolchain)
	InputSource      = "source"      // the source directory's content digest
	InputRuntimeBase = "runtimeBase" // repo@sha256:…
	InputBuilderBase = "builderBase" // repo@sha256:…
	InputOptions     = "options"     // build and release options that change the image or a gate
	InputAdvisories  = "advisories"  // the advisory database's content
)

// errUnpinnedInputs means an input can change without its name changing (a
// base by tag), so no key can stand for it.
var errUnpinnedInputs = errors.New("a base is not pinned by digest")

// releaseInputs computes o's inputs without building: the source's Dagger
// content digest (stable for one engine version), the bases by digest (the
// default builder resolved as BuildApp resolves it), a digest of every build
// and release option that changes the image or a gate, the advisory
// database's content and this program's own executable. key is the signing
// key, whose public half is an option (nil: not signing).
func releaseInputs(ctx context.Context, c *dagger.Client, o ReleaseOptions, key crypto.Signer) (*publish.Inputs, error) {
	b := o.Build
	if b.Source == nil {
		return nil, errors.New("no source directory")
	}
	if err := defaultBases(ctx, c, &b); err != nil {
		return nil, err
	}
	for _, ref := range []string{b.RuntimeBase, b.BuilderBase} {
		if _, err := name.NewDigest(ref); err != nil {
			return nil, fmt.Errorf("%w: %s", errUnpinnedInputs, ref)
		}
	}
	src, err := b.Source.Digest(ctx)
	if err != nil {
		return nil, fmt.Errorf("source digest: %w", err)
	}
	opts, err := optionsDigest(b, o.FailOn, key)
	if err != nil {
		return nil, err
	}
	db, err := advisoryDigest(o.AdvisoryDB)
	if err != nil {
		return nil, err
	}
	self, err := selfDigest()
	if err != nil {
		return nil, err
	}
	return publish.NewInputs(map[string]string{
		InputPipeline:    self,
		InputSource:      src,
		InputRuntimeBase: b.RuntimeBase,
		InputBuilderBase: b.BuilderBase,
		InputOptions:     opts,
		InputAdvisories:  db,
	}), nil
}

// optionsDigest hashes the build options (every field but Dagger objects:
// the source is its own input, a token or an npm registry service changes
// no digest; the bases are their own parts), the scan threshold and the
// signing key's public half.
func optionsDigest(b BuildOptions, failOn string, key crypto.Signer) (string, error) {
	b.RuntimeBase, b.BuilderBase = "", ""
	v := map[string]any{"build": plainValue(reflect.ValueOf(b)), "failOn": failOn}
	if key != nil {
		pub, err := x509.MarshalPKIXPublicKey(key.Public())
		if err != nil {
			return "", fmt.Errorf("signing key: %w", err)
		}
		v["signingKey"] = sha256Hex(pub)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("options: %w", err)
	}
	return sha256Hex(j), nil
}

// plainValue turns v into JSON-ready data, dropping Dagger objects at any
// depth (they are references into an engine session, not values).
func plainValue(v reflect.Value) any {
	if isDaggerType(v.Type()) {
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return plainValue(v.Elem())
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			return t.UTC().Format(time.RFC3339Nano)
		}
		m := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				m[f.Name] = plainValue(v.Field(i))
			}
		}
		return m
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plainValue(v.Index(i))
		}
		return out
	case reflect.Map:
		m := map[string]any{}
		for _, k := range v.MapKeys() {
			m[fmt.Sprint(k.Interface())] = plainValue(v.MapIndex(k))
		}
		return m
	case reflect.Func, reflect.Chan:
		return nil
	default:
		return v.Interface()
	}
}

func isDaggerType(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	return t.PkgPath() == "dagger.io/dagger"
}

// advisoryDigest hashes an advisory database: a file (a .zip) by its bytes,
// a directory by each regular file's path and bytes, in path order. "" is
// "none" (no scan).
func advisoryDigest(path string) (string, error) {
	if path == "" {
		return "none", nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("advisory database: %w", err)
	}
	if !st.IsDir() {
		return fileDigest(path)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("advisory database: %w", err)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		d, err := fileDigest(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(path, f)
		fmt.Fprintf(h, "%s %s\n", filepath.ToSlash(rel), d)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h, _, err := v1.SHA256(f)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return h.String(), nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// selfDigest is the digest of this program's executable, computed once: the
// pipeline's own code, its dependencies and the Go toolchain that built
// it. `go run ./ci` and the module are different programs, so a release by
// one door runs the gates again in the other.
func selfDigest() (string, error) { return attest.ExecutableDigest() }
