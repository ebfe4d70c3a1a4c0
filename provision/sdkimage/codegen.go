package sdkimage

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ensureCodegen returns the codegen binary to put in the image:
// BinDir/codegen when present, else one built from RepoRoot/ci/engine into
// CacheDir (same flags as the engine build, so the result is identical).
func ensureCodegen(ctx context.Context, o Options) (string, error) {
	if o.BinDir != "" {
		p := filepath.Join(o.BinDir, "codegen")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	out := filepath.Join(o.CacheDir, "codegen")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	o.logf("    building codegen from ci/engine")
	cmd := exec.CommandContext(ctx, filepath.Join(o.GoRoot, "bin", "go"), "build", "-trimpath",
		"-ldflags", "-X github.com/dagger/dagger/engine.Version="+DaggerLibVersion+
			" -X github.com/dagger/dagger/engine.Tag="+DaggerLibVersion,
		"-o", out+".tmp", "github.com/dagger/dagger/cmd/codegen")
	cmd.Dir = filepath.Join(o.RepoRoot, "ci", "engine")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	if o.GoProxy != "" {
		cmd.Env = append(cmd.Env, "GOPROXY="+o.GoProxy)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build codegen: %w: %s", err, b)
	}
	return out, os.Rename(out+".tmp", out)
}
