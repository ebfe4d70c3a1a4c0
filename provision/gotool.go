package provision

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// rootModule is the module path of the repository root's go.mod.
const rootModule = "dagger/immutable"

// goTool is the Go toolchain Up builds with.
type goTool struct {
	bin     string // path of the go command
	version string // e.g. go1.26.8
	root    string // repository root (holds go.mod of rootModule)
	env     []string
}

// newGoTool finds the go command, the repository root (from the working
// directory upwards) and the build environment: GOPROXY starts with
// file://<root>/../shared/goproxy when that directory exists.
func newGoTool(ctx context.Context) (goTool, error) {
	bin, err := exec.LookPath("go")
	if err != nil {
		bin = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, serr := os.Stat(bin); serr != nil {
			return goTool{}, fmt.Errorf("go command not found: %w", err)
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return goTool{}, err
	}
	root, err := findRepoRoot(wd)
	if err != nil {
		return goTool{}, err
	}
	out, err := run(ctx, os.Environ(), root, bin, "env", "GOVERSION", "GOPROXY")
	if err != nil {
		return goTool{}, err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return goTool{}, fmt.Errorf("go env: unexpected output %q", out)
	}
	proxy := goProxy(lines[1], filepath.Join(filepath.Dir(root), "shared", "goproxy"))
	env := setEnv(os.Environ(), "GOPROXY", proxy)
	env = setEnv(env, "GOWORK", "off")
	return goTool{bin: bin, version: lines[0], root: root, env: env}, nil
}

// goProxy puts file://<dir> ahead of proxy when dir exists and is not listed yet.
func goProxy(proxy, dir string) string {
	if _, err := os.Stat(dir); err != nil {
		return proxy
	}
	local := "file://" + dir
	if strings.Contains(proxy, local) {
		return proxy
	}
	if proxy == "" {
		return local
	}
	return local + "," + proxy
}

// findRepoRoot walks up from dir to the directory whose go.mod declares rootModule.
func findRepoRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if modulePath(filepath.Join(d, "go.mod")) == rootModule {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod of module %s above %s; run from the repository", rootModule, dir)
		}
	}
}

// modulePath returns the module path declared in a go.mod file, or "".
func modulePath(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// RepoRoot is the repository root above the working directory (the
// directory whose go.mod declares the project's module).
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return findRepoRoot(wd)
}
