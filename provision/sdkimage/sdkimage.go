package sdkimage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"dagger/immutable/provision/debs"
)

// Pinned values the image is built for.
const (
	// DaggerLibVersion is the dagger.io/dagger version the SDK uses.
	DaggerLibVersion = "v0.21.8"
	// DaggerLibCommit is the dagger.io/dagger commit codegen v0.21.8 runs
	// `go get` for; the file proxy answers it with DaggerLibVersion.
	DaggerLibCommit = "56bb30426a8462af6f95cfdae6461d0cc796ff50"
	// DefaultContentDir is where the engine reads builtin OCI content.
	DefaultContentDir = "/usr/local/share/dagger/content"
	// DefaultCacheDir is the working directory when Options.CacheDir is empty.
	DefaultCacheDir = "/var/lib/immutable/cache/sdkimage"
	// ManifestDigestEnv is the engine env var that names the image.
	ManifestDigestEnv = "DAGGER_GO_SDK_MANIFEST_DIGEST"
	// GoProxyInImage is the file proxy path inside the image.
	GoProxyInImage = "/opt/goproxy"
	// PublicGoProxy is the network fallback after the in-image file proxy.
	PublicGoProxy = "https://proxy.golang.org"
	// stampVersion changes when the image recipe in this package changes.
	stampVersion = "sdkimage/7"
)

// Options configure Ensure.
type Options struct {
	// BinDir holds codegen (built from ci/engine). When BinDir/codegen is
	// missing, Ensure builds codegen from RepoRoot/ci/engine into CacheDir.
	BinDir string
	// ContentDir is the engine's builtin content store.
	// Default: DefaultContentDir.
	ContentDir string
	// RepoRoot is the repository root (go.mod of module dagger/immutable);
	// every module its build needs goes into the file proxy. Default: ".".
	RepoRoot string
	// CacheDir keeps .debs, the module cache used to fill the file proxy, the
	// staged root file system and the stamp. Default: DefaultCacheDir.
	CacheDir string
	// GoRoot is the Go toolchain copied to /usr/local/go. Default: /usr/local/go.
	GoRoot string
	// GoProxy is the GOPROXY used on the host to download modules.
	// Default: $GOPROXY, else the go command's default.
	GoProxy string
	// Log receives progress lines. Nil discards them.
	Log io.Writer
}

func (o Options) withDefaults() (Options, error) {
	if o.ContentDir == "" {
		o.ContentDir = DefaultContentDir
	}
	if o.RepoRoot == "" {
		o.RepoRoot = "."
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir
	}
	if o.GoRoot == "" {
		o.GoRoot = "/usr/local/go"
	}
	if o.GoProxy == "" {
		o.GoProxy = os.Getenv("GOPROXY")
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	var err error
	for _, p := range []*string{&o.ContentDir, &o.RepoRoot, &o.CacheDir, &o.GoRoot} {
		if *p, err = filepath.Abs(*p); err != nil {
			return o, fmt.Errorf("absolute path: %w", err)
		}
	}
	if o.BinDir != "" {
		if o.BinDir, err = filepath.Abs(o.BinDir); err != nil {
			return o, fmt.Errorf("absolute path: %w", err)
		}
	}
	return o, nil
}

func (o Options) logf(format string, args ...any) {
	fmt.Fprintf(o.Log, format+"\n", args...)
}

// stamp records which inputs produced which manifest.
type stamp struct {
	Key    string `json:"key"`
	Digest string `json:"digest"`
}

// Result is what EnsureResult did.
type Result struct {
	// Digest is the image manifest digest ("sha256:...").
	Digest string
	// Reused is true when a previous build matched the inputs.
	Reused bool
}

// Ensure makes sure the Go SDK image for the current inputs is in
// o.ContentDir and returns its manifest digest ("sha256:..."), the value for
// the engine's DAGGER_GO_SDK_MANIFEST_DIGEST. It reuses a previous build when
// the input stamp matches and every blob exists.
func Ensure(ctx context.Context, o Options) (manifestDigest string, err error) {
	r, err := EnsureResult(ctx, o)
	return r.Digest, err
}

// EnsureResult is Ensure, also reporting whether the image was reused.
func EnsureResult(ctx context.Context, o Options) (Result, error) {
	d, reused, err := ensure(ctx, o)
	return Result{Digest: d, Reused: reused}, err
}

func ensure(ctx context.Context, o Options) (string, bool, error) {
	o, err := o.withDefaults()
	if err != nil {
		return "", false, err
	}
	if err := os.MkdirAll(o.CacheDir, 0o755); err != nil {
		return "", false, fmt.Errorf("cache dir: %w", err)
	}
	start := time.Now()
	codegen, err := ensureCodegen(ctx, o)
	if err != nil {
		return "", false, err
	}
	debs, err := resolveDebs(ctx, basePackages, excludedPackages)
	if err != nil {
		return "", false, err
	}
	key, err := inputKey(o, codegen, debs)
	if err != nil {
		return "", false, err
	}
	stampPath := filepath.Join(o.CacheDir, "stamp.json")
	if st, err := readStamp(stampPath); err == nil && st.Key == key {
		if err := checkBlobs(o.ContentDir, st.Digest); err == nil {
			o.logf("    image %s (reused)", st.Digest)
			return st.Digest, true, nil
		}
	}

	dgst, err := build(ctx, o, codegen, debs)
	if err != nil {
		return "", false, err
	}
	if err := writeStamp(stampPath, stamp{Key: key, Digest: dgst}); err != nil {
		return "", false, err
	}
	o.logf("    image %s (built in %.0fs)", dgst, time.Since(start).Seconds())
	return dgst, false, nil
}

// inputKey hashes everything the image content depends on.
func inputKey(o Options, codegen string, debs []deb) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\nlib %s %s\nproxy %s\n", stampVersion, DaggerLibVersion, DaggerLibCommit, PublicGoProxy)
	for _, f := range []string{
		filepath.Join(o.GoRoot, "VERSION"),
		filepath.Join(o.GoRoot, "bin", "go"),
		codegen,
		filepath.Join(o.RepoRoot, "go.mod"),
		filepath.Join(o.RepoRoot, "go.sum"),
	} {
		sum, err := fileSHA256(f)
		if err != nil {
			return "", fmt.Errorf("input key: %w", err)
		}
		fmt.Fprintf(h, "%s %s\n", filepath.Base(f), sum)
	}
	for _, d := range debs {
		fmt.Fprintf(h, "deb %s %s %s\n", d.Name, d.Version, d.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fileSHA256(path string) (string, error) { return debs.FileSHA256(path) }

func readStamp(path string) (stamp, error) {
	var st stamp
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("parse stamp: %w", err)
	}
	if st.Key == "" || st.Digest == "" {
		return st, errors.New("empty stamp")
	}
	return st, nil
}

func writeStamp(path string, st stamp) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write stamp: %w", err)
	}
	return os.Rename(tmp, path)
}
