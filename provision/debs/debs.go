// Package debs is the one way provisioning gets Debian packages: ask apt
// which versions are current (Show), and fetch a pinned .deb by name,
// version and sha256 (Fetch) from a mirror directory the project keeps, a
// download cache, or `apt-get download` with the host's sources. Every .deb
// is sha256-checked before use.
package debs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"dagger/immutable/internal/command"
)

// Deb pins one Debian binary package.
type Deb struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
}

// FileName is the file name a pinned .deb is kept under
// ("name_version.deb", the epoch's ":" escaped).
func (d Deb) FileName() string {
	return strings.ReplaceAll(d.Name+"_"+d.Version, ":", "%3a") + ".deb"
}

// DownloadFunc fetches d's .deb into dir (any file name ending in .deb).
type DownloadFunc func(ctx context.Context, dir string, d Deb, log io.Writer) error

// Fetcher fetches pinned .debs.
type Fetcher struct {
	// Mirrors are directories searched first, e.g. the project's committed
	// copies of the packages Debian's mirror no longer serves.
	Mirrors []string
	// CacheDir keeps downloaded .debs between runs.
	CacheDir string
	// Download is how a missing .deb is fetched; default AptDownload.
	Download DownloadFunc
	// Log receives progress lines; default io.Discard.
	Log io.Writer
}

// Fetch returns the path of d's .deb, sha256-checked: from a mirror, the
// cache, or a download into the cache. A copy with the wrong sha256 is
// ignored (and said so).
func (f Fetcher) Fetch(ctx context.Context, d Deb) (string, error) {
	log := f.Log
	if log == nil {
		log = io.Discard
	}
	for _, dir := range append(append([]string(nil), f.Mirrors...), f.CacheDir) {
		p := filepath.Join(dir, d.FileName())
		sum, err := FileSHA256(p)
		if err != nil {
			continue
		}
		if sum == d.SHA256 {
			return p, nil
		}
		fmt.Fprintf(log, "    %s has sha256 %s, the pin says %s; ignoring it\n", p, sum, d.SHA256)
	}
	if err := os.MkdirAll(f.CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("deb cache: %w", err)
	}
	tmp, err := os.MkdirTemp(f.CacheDir, "download-")
	if err != nil {
		return "", fmt.Errorf("deb cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	download := f.Download
	if download == nil {
		download = AptDownload
	}
	if err := download(ctx, tmp, d, log); err != nil {
		return "", fmt.Errorf("deb %s=%s: %w", d.Name, d.Version, err)
	}
	got, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(got) != 1 {
		return "", fmt.Errorf("download deb %s: expected one .deb, got %d", d.Name, len(got))
	}
	sum, err := FileSHA256(got[0])
	if err != nil {
		return "", err
	}
	if sum != d.SHA256 {
		return "", fmt.Errorf("deb %s=%s: sha256 %s, the pin says %s", d.Name, d.Version, sum, d.SHA256)
	}
	dst := filepath.Join(f.CacheDir, d.FileName())
	if err := os.Rename(got[0], dst); err != nil {
		return "", fmt.Errorf("deb cache: %w", err)
	}
	return dst, nil
}

// AptDownload runs `apt-get download name=version` in dir, updating the
// package lists once when the first try fails.
func AptDownload(ctx context.Context, dir string, d Deb, log io.Writer) error {
	fmt.Fprintf(log, "    apt-get download %s=%s\n", d.Name, d.Version)
	if _, err := command.Output(ctx, dir, "apt-get", "download", d.Name+"="+d.Version); err == nil {
		return nil
	}
	if err := Update(ctx, log); err != nil {
		return err
	}
	_, err := command.Output(ctx, dir, "apt-get", "download", d.Name+"="+d.Version)
	return err
}

var updateOnce struct {
	sync.Mutex
	done bool
}

// Update runs `apt-get update` once per process.
func Update(ctx context.Context, log io.Writer) error {
	updateOnce.Lock()
	defer updateOnce.Unlock()
	if updateOnce.done {
		return nil
	}
	fmt.Fprintln(log, "    apt-get update")
	if _, err := command.Output(ctx, "", "apt-get", "update"); err != nil {
		return err
	}
	updateOnce.done = true
	return nil
}

// Show returns the control fields of the candidate version of each name
// (`apt-cache show --no-all-versions`), keyed by package name.
func Show(ctx context.Context, names ...string) (map[string]map[string]string, error) {
	out, err := command.Output(ctx, "", "apt-cache", append([]string{"show", "--no-all-versions"}, names...)...)
	if err != nil {
		return nil, fmt.Errorf("%w (run apt-get update?)", err)
	}
	return byPackage(out), nil
}

// byPackage keys the first stanza of each package of apt-cache show's output
// by its name.
func byPackage(out []byte) map[string]map[string]string {
	stanzas := map[string]map[string]string{}
	for _, f := range ParseControl(out) {
		if f["Package"] != "" && f["Version"] != "" {
			if _, ok := stanzas[f["Package"]]; !ok {
				stanzas[f["Package"]] = f
			}
		}
	}
	return stanzas
}

// ParseControl parses the stanzas of a Debian control file (continuation
// lines are joined with "\n").
func ParseControl(b []byte) []map[string]string {
	var out []map[string]string
	fields := map[string]string{}
	var last string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if len(fields) > 0 {
				out = append(out, fields)
				fields, last = map[string]string{}, ""
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last != "" {
				fields[last] += "\n" + strings.TrimSpace(line)
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		last = k
		fields[k] = strings.TrimSpace(v)
	}
	if len(fields) > 0 {
		out = append(out, fields)
	}
	return out
}

// FileSHA256 is the hex sha256 of a file.
func FileSHA256(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h, _, err := v1.SHA256(fh)
	if err != nil {
		return "", err
	}
	return h.Hex, nil
}

// Apt is apt-get and apt-cache for one Debian architecture other than the
// host's, with the host's sources and keyrings but state of its own under
// Dir (package lists, archives, an empty dpkg status): the host's dpkg
// architectures and package lists are never changed, and nothing is
// emulated. Its Download is a DownloadFunc.
type Apt struct {
	// Arch is the Debian architecture, e.g. "arm64".
	Arch string
	// Dir holds the isolated state; e.g. <cache>/apt-arm64.
	Dir string
}

// options are the -o flags that isolate this apt from the host's state.
func (a Apt) options() []string {
	return []string{
		"-o", "Dir::State=" + filepath.Join(a.Dir, "state"),
		"-o", "Dir::State::status=" + filepath.Join(a.Dir, "state", "status"),
		"-o", "Dir::Cache=" + filepath.Join(a.Dir, "cache"),
		"-o", "APT::Architecture=" + a.Arch,
		"-o", "APT::Architectures::=" + a.Arch,
		"-o", "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false",
		"-o", "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false",
		"-o", "Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false",
		"-o", "Debug::NoLocking=1",
	}
}

// prepare creates the state directories and the empty dpkg status.
func (a Apt) prepare() error {
	if a.Arch == "" || a.Dir == "" {
		return fmt.Errorf("apt: an architecture and a state directory are required")
	}
	for _, d := range []string{"state/lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(a.Dir, d), 0o755); err != nil {
			return fmt.Errorf("apt %s: %w", a.Arch, err)
		}
	}
	status := filepath.Join(a.Dir, "state", "status")
	if _, err := os.Stat(status); err != nil {
		if err := os.WriteFile(status, nil, 0o644); err != nil {
			return fmt.Errorf("apt %s: %w", a.Arch, err)
		}
	}
	return nil
}

var aptUpdated struct {
	sync.Mutex
	dirs map[string]bool
}

// Update runs `apt-get update` for this architecture once per process.
func (a Apt) Update(ctx context.Context, log io.Writer) error {
	aptUpdated.Lock()
	defer aptUpdated.Unlock()
	if aptUpdated.dirs[a.Dir] {
		return nil
	}
	if err := a.prepare(); err != nil {
		return err
	}
	fmt.Fprintf(log, "    apt-get update (%s, state in %s)\n", a.Arch, a.Dir)
	if _, err := command.Output(ctx, "", "apt-get", append(a.options(), "update")...); err != nil {
		return err
	}
	if aptUpdated.dirs == nil {
		aptUpdated.dirs = map[string]bool{}
	}
	aptUpdated.dirs[a.Dir] = true
	return nil
}

// Show is like the package's Show for this architecture (after Update).
func (a Apt) Show(ctx context.Context, names ...string) (map[string]map[string]string, error) {
	if err := a.prepare(); err != nil {
		return nil, err
	}
	out, err := command.Output(ctx, "", "apt-cache", append(a.options(), append([]string{"show", "--no-all-versions"}, names...)...)...)
	if err != nil {
		return nil, fmt.Errorf("%w (apt for %s: run Update first?)", err, a.Arch)
	}
	return byPackage(out), nil
}

// Download runs `apt-get download name=version` for this architecture in
// dir, updating its package lists once when the first try fails.
func (a Apt) Download(ctx context.Context, dir string, d Deb, log io.Writer) error {
	if err := a.prepare(); err != nil {
		return err
	}
	fmt.Fprintf(log, "    apt-get download %s=%s (%s)\n", d.Name, d.Version, a.Arch)
	args := append(a.options(), "download", d.Name+"="+d.Version)
	if _, err := command.Output(ctx, dir, "apt-get", args...); err == nil {
		return nil
	}
	if err := a.Update(ctx, log); err != nil {
		return err
	}
	_, err := command.Output(ctx, dir, "apt-get", args...)
	return err
}
