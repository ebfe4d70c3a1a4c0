package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// daggerCommands maps the packages of github.com/dagger/dagger built from
// ci/engine to the names of their binaries in BinDir.
var daggerCommands = []struct{ pkg, name string }{
	{"github.com/dagger/dagger/cmd/engine", "dagger-engine"},
	{"github.com/dagger/dagger/cmd/dagger", "dagger"},
	{"github.com/dagger/dagger/cmd/init", "dagger-init"},
	{"github.com/dagger/dagger/cmd/dnsname", "dnsname"},
	{"github.com/dagger/dagger/cmd/dialstdio", "dial-stdio"},
	{"github.com/dagger/dagger/cmd/codegen", "codegen"},
}

// CNIPlugins are the CNI plugin packages (of containernetworking/plugins) the engine uses.
var CNIPlugins = []string{"main/bridge", "main/loopback", "meta/firewall", "ipam/host-local"}

// stampFile is the name of the file that records what built a bin directory.
const stampFile = ".stamp"

func (c Config) runcDir() string { return filepath.Join(c.Home, "bin", "runc-"+RuncVersion) }
func (c Config) cniDir() string  { return filepath.Join(c.Home, "bin", "cni-"+CNIVersion) }

// daggerStamp identifies a build of the Dagger binaries: version, Go
// version and the wrapper module's go.mod and go.sum.
func daggerStamp(gt goTool) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "dagger %s\ngo %s\n", DaggerVersion, gt.version)
	for _, f := range []string{"go.mod", "go.sum"} {
		sum, err := fileSHA256(filepath.Join(gt.root, "ci", "engine", f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "ci/engine/%s %s\n", f, sum)
	}
	return b.String(), nil
}

func daggerStep(ctx context.Context, cfg Config) error {
	gt, err := newGoTool(ctx)
	if err != nil {
		return err
	}
	stamp, err := daggerStamp(gt)
	if err != nil {
		return err
	}
	dir := cfg.BinDir()
	var outs []string
	for _, c := range daggerCommands {
		outs = append(outs, filepath.Join(dir, c.name))
	}
	if stampMatches(filepath.Join(dir, stampFile), stamp) && allExist(outs...) {
		return ErrReused
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ldflags := fmt.Sprintf("-X github.com/dagger/dagger/engine.Version=%[1]s -X github.com/dagger/dagger/engine.Tag=%[1]s", DaggerVersion)
	args := []string{"build", "-trimpath", "-tags", "dfexcludepatterns,dfparents", "-ldflags", ldflags, "-o", tmp + "/"}
	for _, c := range daggerCommands {
		args = append(args, c.pkg)
	}
	fmt.Fprintf(cfg.logw(), "    go build in %s (a few minutes from a cold cache)\n", filepath.Join(gt.root, "ci", "engine"))
	if _, err := run(ctx, setEnv(gt.env, "CGO_ENABLED", "0"), filepath.Join(gt.root, "ci", "engine"), gt.bin, args...); err != nil {
		return err
	}
	for _, c := range daggerCommands {
		if err := os.Rename(filepath.Join(tmp, filepath.Base(c.pkg)), filepath.Join(dir, c.name)); err != nil {
			return err
		}
	}
	return writeFileAtomic(filepath.Join(dir, stampFile), []byte(stamp), 0o644)
}

func runcStep(ctx context.Context, cfg Config) error {
	return goInstall(ctx, cfg, cfg.runcDir(), []string{"runc"}, "1",
		"-trimpath", "-tags", "seccomp urfave_cli_no_docs",
		"github.com/opencontainers/runc@"+RuncVersion)
}

func cniStep(ctx context.Context, cfg Config) error {
	args := []string{"-trimpath"}
	var names []string
	for _, p := range CNIPlugins {
		args = append(args, "github.com/containernetworking/plugins/plugins/"+p+"@"+CNIVersion)
		names = append(names, filepath.Base(p))
	}
	return goInstall(ctx, cfg, cfg.cniDir(), names, "0", args...)
}

// goInstall runs `go install args...` with GOBIN=dir unless dir's stamp
// records the same arguments and Go version and every named binary exists.
func goInstall(ctx context.Context, cfg Config, dir string, names []string, cgo string, args ...string) error {
	gt, err := newGoTool(ctx)
	if err != nil {
		return err
	}
	stamp := fmt.Sprintf("go %s\nCGO_ENABLED=%s\ngo install %s\n", gt.version, cgo, strings.Join(args, " "))
	var outs []string
	for _, n := range names {
		outs = append(outs, filepath.Join(dir, n))
	}
	if stampMatches(filepath.Join(dir, stampFile), stamp) && allExist(outs...) {
		return ErrReused
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	env := setEnv(setEnv(gt.env, "CGO_ENABLED", cgo), "GOBIN", dir)
	if _, err := run(ctx, env, gt.root, gt.bin, append([]string{"install"}, args...)...); err != nil {
		return err
	}
	if !allExist(outs...) {
		return fmt.Errorf("go install did not produce %s", strings.Join(outs, ", "))
	}
	return writeFileAtomic(filepath.Join(dir, stampFile), []byte(stamp), 0o644)
}

// installs lists the copies the engine needs at hard-coded paths.
func (c Config) installs() [][2]string {
	pairs := [][2]string{
		{filepath.Join(c.runcDir(), "runc"), "/usr/local/bin/runc"},
		{filepath.Join(c.BinDir(), "dagger-init"), "/usr/local/bin/dagger-init"},
		{filepath.Join(c.BinDir(), "dial-stdio"), "/usr/bin/dial-stdio"},
		{filepath.Join(c.BinDir(), "dnsname"), "/opt/cni/bin/dnsname"},
	}
	for _, p := range CNIPlugins {
		pairs = append(pairs, [2]string{filepath.Join(c.cniDir(), filepath.Base(p)), filepath.Join("/opt/cni/bin", filepath.Base(p))})
	}
	return pairs
}

func installStep(ctx context.Context, cfg Config) error {
	changed := false
	for _, p := range cfg.installs() {
		if sameContent(p[0], p[1]) {
			continue
		}
		if err := installFile(p[0], p[1]); err != nil {
			return fmt.Errorf("install %s: %w", p[1], err)
		}
		fmt.Fprintf(cfg.logw(), "    %s\n", p[1])
		changed = true
	}
	if !changed {
		return ErrReused
	}
	return nil
}
