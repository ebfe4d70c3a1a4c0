package sdkimage

import (
	"os"
	"reflect"
	"testing"
)

func TestParseDepends(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"libc6 (>= 2.34), zlib1g (>= 1:1.2.2)", []string{"libc6", "zlib1g"}},
		{"debconf (>= 0.5) | debconf-2.0, perl:any", []string{"debconf", "perl"}},
		{", ", nil},
	}
	for _, tt := range tests {
		if got := parseDepends(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseDepends(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMergedUsr(t *testing.T) {
	tests := map[string]string{"bin/sh": "usr/bin/sh", "lib64/ld.so": "usr/lib64/ld.so", "etc/x": "etc/x", "libexec/x": "libexec/x"}
	for in, want := range tests {
		if got := mergedUsr(in); got != want {
			t.Errorf("mergedUsr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLayerIndex(t *testing.T) {
	tests := map[string]string{
		"usr/local/go/bin/go":   "go",
		"usr/local/gopher":      "base",
		"usr/local/bin/codegen": "codegen",
		"opt/goproxy/x/@v/list": "goproxy",
		"go":                    "warm",
		"root/.cache/go-build":  "warm",
		"root":                  "base",
	}
	for in, want := range tests {
		if got := layerSpecs[layerIndex(in)].Name; got != want {
			t.Errorf("layerIndex(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestReplaceArgs(t *testing.T) {
	mod := "module m\n\nreplace (\n\ta/b => a/b v0.16.0\n\tc => d v1.0.0\n)\n"
	want := []string{"a/b=a/b@v0.16.0", "c=d@v1.0.0"}
	if got := replaceArgs(mod); !reflect.DeepEqual(got, want) {
		t.Errorf("replaceArgs = %q, want %q", got, want)
	}
	if got := dropBlock(mod, "replace"); got != "module m\n\n" {
		t.Errorf("dropBlock = %q", got)
	}
}

func TestRequiredVersion(t *testing.T) {
	dir := t.TempDir() + "/go.mod"
	if err := os.WriteFile(dir, []byte("module m\n\nrequire (\n\tgithub.com/dagger/querybuilder v0.0.0-2026 \n)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := requiredVersion(dir, "github.com/dagger/querybuilder")
	if err != nil || got != "v0.0.0-2026" {
		t.Errorf("requiredVersion = %q, %v", got, err)
	}
}
