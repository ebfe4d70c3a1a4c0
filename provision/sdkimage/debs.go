package sdkimage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"dagger/immutable/internal/untar"
	"dagger/immutable/provision/debs"
)

// basePackages are the Debian packages of the base layer; their Depends and
// Pre-Depends are followed (first alternative) except for excludedPackages.
var basePackages = []string{
	"git",             // the SDK runs `git config --global` for the host's git config
	"openssh-client",  // GIT_SSH_COMMAND=ssh for private modules
	"ca-certificates", // HTTPS to the Go module proxy
	"dash",            // /bin/sh
	"coreutils",
	"netbase", // /etc/services, /etc/protocols
}

// excludedPackages are dependencies the image does not need: package
// management and maintainer-script machinery (nothing runs maintainer
// scripts here), perl (only git's porcelain scripts use it) and docs.
var excludedPackages = map[string]bool{
	"perl": true, "perl-base": true, "liberror-perl": true, "git-man": true,
	"debconf": true, "debconf-2.0": true, "dpkg": true, "adduser": true, "passwd": true,
	"openssl": true, "init-system-helpers": true, "debianutils": true,
}

// deb is one resolved Debian package.
type deb struct {
	Name, Version, Arch, Filename, SHA256 string
}

// resolveDebs returns the closure of roots over Depends and Pre-Depends, as
// the candidate versions apt knows, sorted by name. It asks apt-cache once
// per dependency level.
func resolveDebs(ctx context.Context, roots []string, exclude map[string]bool) ([]deb, error) {
	seen := map[string]deb{}
	level := append([]string(nil), roots...)
	for len(level) > 0 {
		var names []string
		for _, n := range level {
			if _, ok := seen[n]; !ok && !exclude[n] && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			break
		}
		stanzas, err := debs.Show(ctx, names...)
		if err != nil {
			return nil, err
		}
		level = nil
		for _, name := range names {
			fields, ok := stanzas[name]
			if !ok {
				return nil, fmt.Errorf("apt-cache show %s: no candidate (virtual package?)", name)
			}
			seen[name] = deb{Name: name, Version: fields["Version"], Arch: fields["Architecture"],
				Filename: fields["Filename"], SHA256: fields["SHA256"]}
			level = append(level, parseDepends(fields["Pre-Depends"]+", "+fields["Depends"])...)
		}
	}
	out := make([]deb, 0, len(seen))
	for _, d := range seen {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// parseDepends returns the first alternative of each dependency group,
// without version constraints or architecture qualifiers. A group with an
// excluded-looking virtual alternative is still reduced to its first name.
func parseDepends(s string) []string {
	var out []string
	for _, group := range strings.Split(s, ",") {
		group = strings.TrimSpace(group)
		if group == "" {
			continue
		}
		alt := strings.TrimSpace(strings.Split(group, "|")[0])
		if i := strings.IndexAny(alt, " ("); i >= 0 {
			alt = alt[:i]
		}
		alt = strings.SplitN(alt, ":", 2)[0]
		if alt != "" {
			out = append(out, alt)
		}
	}
	return out
}

// fetchDeb returns the path of d's .deb under dir (package debs).
func fetchDeb(ctx context.Context, dir string, d deb) (string, error) {
	return debs.Fetcher{CacheDir: dir}.Fetch(ctx, debs.Deb{Name: d.Name, Version: d.Version, SHA256: d.SHA256})
}

// skipDebPath reports paths of .debs that the image leaves out.
func skipDebPath(p string) bool {
	for _, pre := range []string{"usr/share/doc/", "usr/share/man/", "usr/share/info/",
		"usr/share/locale/", "usr/share/lintian/", "usr/share/bug/", "usr/share/doc-base/"} {
		if strings.HasPrefix(p, pre) || p+"/" == pre {
			return true
		}
	}
	return false
}

// mergedUsr maps a path of a .deb to its merged-/usr location
// (bin/x -> usr/bin/x), as on a Debian bookworm system.
func mergedUsr(p string) string {
	for _, d := range []string{"bin", "sbin", "lib", "lib64", "lib32", "libx32"} {
		if p == d || strings.HasPrefix(p, d+"/") {
			return "usr/" + p
		}
	}
	return p
}

// extractDeb unpacks the data of a .deb into root (merged /usr, no docs,
// no maintainer scripts).
func extractDeb(ctx context.Context, debPath, root string) error {
	cmd := exec.CommandContext(ctx, "dpkg-deb", "--fsys-tarfile", debPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dpkg-deb %s: %w", debPath, err)
	}
	exErr := untar.Extract(stdout, root, untar.WithName(debName))
	_, _ = io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("dpkg-deb %s: %w: %s", debPath, err, stderr.String())
	}
	if exErr != nil {
		return fmt.Errorf("extract %s: %w", filepath.Base(debPath), exErr)
	}
	return nil
}

// debName maps a name in a .deb's data to its path under the root (merged
// /usr), or "" for paths the image leaves out.
func debName(name string) string {
	rel := mergedUsr(strings.TrimPrefix(path.Clean(strings.TrimPrefix(name, "./")), "/"))
	if skipDebPath(rel) {
		return ""
	}
	return rel
}

// sha256Hex is a small helper for tests and content checks.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
