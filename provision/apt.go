package provision

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// AptPackages are the Debian packages Up installs: the engine's runtime
// tools, the registry, and what building runc with cgo and seccomp needs.
var AptPackages = []string{
	"iptables", "nftables", "dnsmasq-base", "git", "openssh-client", "pigz",
	"ca-certificates", "util-linux", "docker-registry",
	"gcc", "libc6-dev", "libseccomp-dev", "pkg-config",
}

// policyRCD makes invoke-rc.d refuse to start services while we install, so
// docker-registry's postinst does not start its own daemon.
const policyRCD = "/usr/sbin/policy-rc.d"

func aptStep(ctx context.Context, cfg Config) error {
	missing := missingPackages(ctx, AptPackages)
	if len(missing) == 0 {
		return ErrReused
	}
	fmt.Fprintf(cfg.logw(), "    installing %s\n", strings.Join(missing, " "))

	// Keep a policy-rc.d someone else put there; otherwise add ours and remove it after.
	if _, err := os.Stat(policyRCD); errors.Is(err, os.ErrNotExist) {
		if err := writeFileAtomic(policyRCD, []byte("#!/bin/sh\n# written by provision: no service starts during apt-get install\nexit 101\n"), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", policyRCD, err)
		}
		defer os.Remove(policyRCD)
	}

	env := setEnv(os.Environ(), "DEBIAN_FRONTEND", "noninteractive")
	if _, err := run(ctx, env, "/", "apt-get", "update"); err != nil {
		return err
	}
	args := append([]string{"install", "-y", "--no-install-recommends"}, missing...)
	if _, err := run(ctx, env, "/", "apt-get", args...); err != nil {
		return err
	}
	if missing := missingPackages(ctx, AptPackages); len(missing) > 0 {
		return fmt.Errorf("still not installed after apt-get install: %s", strings.Join(missing, " "))
	}
	return nil
}

// missingPackages returns the packages dpkg does not report as installed.
func missingPackages(ctx context.Context, pkgs []string) []string {
	// dpkg-query exits 1 when some package is unknown; its stdout still lists the known ones.
	out, _ := run(ctx, os.Environ(), "/", "dpkg-query", append([]string{"-W", "-f=${Package} ${db:Status-Abbrev}\n"}, pkgs...)...)
	return parseMissing(string(out), pkgs)
}

// parseMissing reads dpkg-query "name status" lines and returns the packages
// of pkgs not in state "ii".
func parseMissing(out string, pkgs []string) []string {
	installed := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] == "ii" {
			installed[strings.SplitN(f[0], ":", 2)[0]] = true
		}
	}
	var missing []string
	for _, p := range pkgs {
		if !installed[p] {
			missing = append(missing, p)
		}
	}
	return missing
}

// xtablesLinks maps the paths the engine expects (network/netinst/iptables.go
// uses /usr/bin/xtables-{legacy,nft}-multi and points /usr/bin/iptables* at
// one of them) to where Debian installs them.
var xtablesLinks = map[string]string{
	"/usr/bin/xtables-legacy-multi": "/usr/sbin/xtables-legacy-multi",
	"/usr/bin/xtables-nft-multi":    "/usr/sbin/xtables-nft-multi",
}

func iptablesStep(ctx context.Context, cfg Config) error {
	changed := false
	for link, target := range xtablesLinks {
		if got, err := os.Readlink(link); err == nil && got == target {
			continue
		}
		if _, err := os.Stat(target); err != nil {
			return fmt.Errorf("%s missing (iptables package?): %w", target, err)
		}
		if fi, err := os.Lstat(link); err == nil && fi.Mode().IsRegular() {
			continue // a real binary is there already
		}
		if err := removeIfExists(link); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(target, link); err != nil {
			return fmt.Errorf("link %s: %w", link, err)
		}
		changed = true
	}
	if !changed {
		return ErrReused
	}
	return nil
}
