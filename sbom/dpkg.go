package sbom

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/package-url/packageurl-go"
)

// maxStatusFile bounds how much of one status file is read.
const maxStatusFile = 64 << 20

// imageFiles are the files Generate reads from the flattened image, by
// path without the leading slash.
type imageFiles map[string][]byte

// wanted reports whether Generate reads the file at name.
func wanted(name string) bool {
	return name == "var/lib/dpkg/status" || name == "etc/os-release" || name == "usr/lib/os-release" ||
		path.Dir(name) == "var/lib/dpkg/status.d"
}

// readImageFiles reads the dpkg status and os-release files of the
// flattened filesystem (later layers and whiteouts applied).
func readImageFiles(img v1.Image) (imageFiles, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	files := imageFiles{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("sbom: reading image filesystem: %w", err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if h.Typeflag != tar.TypeReg || !wanted(name) {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxStatusFile))
		if err != nil {
			return nil, fmt.Errorf("sbom: reading /%s: %w", name, err)
		}
		files[name] = b
	}
	return files, nil
}

// stanza is one dpkg control paragraph: field -> value (continuation lines
// dropped; no field the SBOM uses has them).
type stanza map[string]string

// parseStanzas splits a dpkg status file into paragraphs.
func parseStanzas(b []byte) []stanza {
	var out []stanza
	cur := stanza{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = stanza{}
		}
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if ok {
			cur[k] = strings.TrimSpace(v)
		}
	}
	flush()
	return out
}

// debPackage is an installed Debian package.
type debPackage struct {
	Name, Version, Arch, Source, SourceVersion string
}

// installedPackages reads the dpkg database: every stanza of
// var/lib/dpkg/status and var/lib/dpkg/status.d/* whose Status is
// "install ok installed" (a stanza without Status, as some distroless
// tools write, counts as installed).
func installedPackages(files imageFiles) []debPackage {
	var names []string
	for n := range files {
		if n == "var/lib/dpkg/status" || path.Dir(n) == "var/lib/dpkg/status.d" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []debPackage
	for _, n := range names {
		for _, s := range parseStanzas(files[n]) {
			if s["Package"] == "" || s["Version"] == "" {
				continue
			}
			if st, ok := s["Status"]; ok && st != "install ok installed" {
				continue
			}
			p := debPackage{Name: s["Package"], Version: s["Version"], Arch: s["Architecture"]}
			if src := s["Source"]; src != "" {
				// "Source: glibc (2.36-9+deb12u7)" when the versions differ.
				name, ver, _ := strings.Cut(src, " ")
				p.Source = name
				p.SourceVersion = strings.Trim(strings.TrimSpace(ver), "()")
			}
			out = append(out, p)
		}
	}
	return out
}

// debComponents lists the image's Debian packages as components.
func debComponents(files imageFiles, distro string) ([]cdx.Component, error) {
	pkgs := installedPackages(files)
	if distro == "" {
		distro = detectDistro(files, pkgs)
	}
	var out []cdx.Component
	for _, p := range pkgs {
		q := map[string]string{}
		if p.Arch != "" {
			q["arch"] = p.Arch
		}
		if distro != "" {
			q["distro"] = distro
		}
		if p.Source != "" && p.Source != p.Name {
			q["upstream"] = p.Source
		}
		purl := packageurl.NewPackageURL(packageurl.TypeDebian, "debian", p.Name, p.Version, packageurl.QualifiersFromMap(q), "").ToString()
		c := cdx.Component{
			BOMRef:     purl,
			Type:       cdx.ComponentTypeLibrary,
			Name:       p.Name,
			Version:    p.Version,
			PackageURL: purl,
		}
		var props []cdx.Property
		if p.Source != "" {
			props = append(props, cdx.Property{Name: PropertySource, Value: p.Source})
		}
		if p.SourceVersion != "" {
			props = append(props, cdx.Property{Name: PropertySourceVersion, Value: p.SourceVersion})
		}
		if len(props) > 0 {
			c.Properties = &props
		}
		out = append(out, c)
	}
	return out, nil
}

// Component properties on Debian packages.
const (
	// PropertySource is the source package, when the stanza names one.
	PropertySource = "dev.immutable:dpkg:source"
	// PropertySourceVersion is the source package's version when it
	// differs from the binary's.
	PropertySourceVersion = "dev.immutable:dpkg:source-version"
)

// detectDistro returns "debian-<N>" from os-release (ID=debian or
// ID_LIKE containing debian), else from the base-files version (Debian's
// base-files is versioned <release>.<point>), else "".
func detectDistro(files imageFiles, pkgs []debPackage) string {
	for _, n := range []string{"etc/os-release", "usr/lib/os-release"} {
		kv := osRelease(files[n])
		if (kv["ID"] == "debian" || strings.Contains(" "+kv["ID_LIKE"]+" ", " debian ")) && kv["VERSION_ID"] != "" && kv["ID"] != "ubuntu" {
			return "debian-" + kv["VERSION_ID"]
		}
	}
	for _, p := range pkgs {
		if p.Name == "base-files" {
			major, _, _ := strings.Cut(p.Version, ".")
			if major != "" && strings.Trim(major, "0123456789") == "" {
				return "debian-" + major
			}
		}
	}
	return ""
}

func osRelease(b []byte) map[string]string {
	kv := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok {
			kv[k] = strings.Trim(v, `"'`)
		}
	}
	return kv
}
