package testenv

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// cosignModule is the wrapper module that pins the cosign CLI.
const cosignModule = "ci/cosign"

// cosignPkg is the package EnsureCosign builds.
const cosignPkg = "github.com/sigstore/cosign/v2"

var ensureCosign = sync.OnceValues(func() (string, error) { return buildCosign(context.Background()) })

// EnsureCosign returns the path of the cosign CLI at the version ci/cosign
// pins, building it on first use into
// $IMMUTABLE_HOME/bin/cosign-<version>/cosign (IMMUTABLE_HOME defaults to
// /var/lib/immutable) and reusing it afterwards. The build uses GOWORK=off
// and puts file://<repo>/../shared/goproxy ahead of GOPROXY when it exists.
func EnsureCosign(ctx context.Context) (string, error) { return ensureCosign() }

func buildCosign(ctx context.Context) (string, error) {
	dir := Path(cosignModule)
	version, err := requiredVersion(filepath.Join(dir, "go.mod"), cosignPkg)
	if err != nil {
		return "", err
	}
	home := os.Getenv("IMMUTABLE_HOME")
	if home == "" {
		home = "/var/lib/immutable"
	}
	bin := filepath.Join(home, "bin", "cosign-"+version, "cosign")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	tmp := bin + ".tmp"
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath",
		"-ldflags", "-X sigs.k8s.io/release-utils/version.gitVersion="+version,
		"-o", tmp, cosignPkg+"/cmd/cosign")
	cmd.Dir = dir
	proxy := os.Getenv("GOPROXY")
	if local := filepath.Join(Root(), "..", "shared", "goproxy"); proxy == "" {
		proxy = "https://proxy.golang.org,direct"
		if _, err := os.Stat(local); err == nil {
			proxy = "file://" + filepath.Clean(local) + "," + proxy
		}
	}
	cmd.Env = append(os.Environ(), "GOPROXY="+proxy, "GOWORK=off", "CGO_ENABLED=0")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building cosign %s: %w: %s", version, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "==> cosign: built %s in %s\n", version, time.Since(start).Round(time.Second))
	return bin, nil
}

// requiredVersion reads the version of module mod from a go.mod's require lines.
func requiredVersion(gomod, mod string) (string, error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require "))
		if len(f) >= 2 && f[0] == mod {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("%s: no requirement on %s", gomod, mod)
}

// RunCosign runs the pinned cosign CLI offline in dir: its own HOME and
// TUF root there, COSIGN_PASSWORD=password, no prompts. It logs the output
// and returns it with the command's error.
func RunCosign(t testing.TB, dir, password string, args ...string) (string, error) {
	t.Helper()
	bin, err := EnsureCosign(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "TUF_ROOT="+filepath.Join(dir, ".sigstore"), "COSIGN_PASSWORD="+password, "COSIGN_YES=true")
	out, err := cmd.CombinedOutput()
	t.Logf("cosign %s:\n%s", strings.Join(args, " "), out)
	return string(out), err
}
