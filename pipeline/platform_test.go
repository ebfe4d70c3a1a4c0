package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"dagger/immutable/lockfile"
	"dagger/immutable/nodeapp"
	"dagger/immutable/publish"
)

func TestParsePlatforms(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		want    []string
		wantErr string
	}{
		{nil, []string{"linux/amd64"}, ""},
		{[]string{"linux/arm64", "linux/amd64"}, []string{"linux/amd64", "linux/arm64"}, ""},
		{[]string{"linux/amd64", "linux/amd64"}, []string{"linux/amd64"}, ""},
		{[]string{"linux/arm64"}, nil, "include linux/amd64"},
		{[]string{"linux/amd64", "linux/s390x"}, nil, "want a comma-separated list of linux/amd64, linux/arm64"},
	} {
		got, err := parsePlatforms(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parsePlatforms(%v) = %v, %v; want error %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parsePlatforms(%v) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestPlatformFlags(t *testing.T) {
	var o BuildOptions
	if err := PlatformFlags(&o, []string{"linux/amd64, linux/arm64"}, []string{"linux/arm64=reg.example/rt@sha256:" + strings.Repeat("a", 64)}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.Platforms, []string{"linux/amd64", "linux/arm64"}) || o.PlatformBases["linux/arm64"] == "" {
		t.Errorf("PlatformFlags gave %v, %v", o.Platforms, o.PlatformBases)
	}
	if err := PlatformFlags(&o, nil, []string{"linux/arm64="}); err != nil || len(o.PlatformBases) != 0 {
		t.Errorf("PlatformFlags(linux/arm64=) = %v, %v; want the default kept", err, o.PlatformBases)
	}
	for _, bad := range [][]string{{"linux/arm64"}, {"=x@sha256:1"}, {"linux/amd64=x@sha256:1"}, {"linux/arm64=a", "linux/arm64=b"}} {
		if err := PlatformFlags(&o, nil, bad); err == nil {
			t.Errorf("PlatformFlags(--platform-base %v) accepted", bad)
		}
	}
}

// TestPlatformRecords: the record says what the smoke test did on each
// platform, and a platform nothing ran on is "not run", never "passed".
func TestPlatformRecords(t *testing.T) {
	b := &Build{Platforms: []PlatformBuild{{Platform: "linux/amd64", RuntimeBase: "r/a@sha256:1"}, {Platform: "linux/arm64", RuntimeBase: "r/b@sha256:2"}}}
	img := &Image{Variants: []*Image{{Platform: "linux/amd64", Digest: "sha256:a"}, {Platform: "linux/arm64", Digest: "sha256:b"}}}
	gates := []publish.Gate{
		{Name: "smoke", Passed: true, Detail: ""},
		{Name: "smoke linux/arm64", Passed: true, Skipped: true, Detail: "skipped: not run (no linux/arm64 runner)"},
	}
	got := platformRecords(b, img, gates)
	want := []publish.PlatformImage{
		{Platform: "linux/amd64", Digest: "sha256:a", RuntimeBase: "r/a@sha256:1", Smoke: "passed"},
		{Platform: "linux/arm64", Digest: "sha256:b", RuntimeBase: "r/b@sha256:2", Smoke: "not run (no linux/arm64 runner)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("platformRecords = %+v\nwant %+v", got, want)
	}
	if platformRecords(b, &Image{}, gates) != nil {
		t.Error("a single-platform image has platform records")
	}
}

// TestNativeFor: which addons keep a multi-platform build from being made
// on this host.
func TestNativeFor(t *testing.T) {
	both := []string{"linux/amd64", "linux/arm64"}
	s := &platformScan{Addons: []addonFile{
		// A prebuilt binding in a package that declares its platform.
		{Pkg: "@node-rs/crc32-linux-x64-gnu@1.10.8", Path: "crc32.linux-x64-gnu.node", Declares: true},
		// Compiled from source at install (node-gyp).
		{Pkg: "bufferutil@4.0.9", Path: "build/Release/bufferutil.node"},
		// prebuildify with both platforms: node-gyp-build picks at run time.
		{Pkg: "utf-8-validate@6.0.5", Path: "prebuilds/linux-x64/utf-8-validate.node"},
		{Pkg: "utf-8-validate@6.0.5", Path: "prebuilds/linux-arm64/utf-8-validate.node"},
		// prebuildify with the host's only.
		{Pkg: "only-x64@1.0.0", Path: "prebuilds/linux-x64/node.napi.node"},
		// Downloaded for the host (node-pre-gyp).
		{Pkg: "pregyp@2.0.0", Path: "lib/binding/napi-v3/pregyp.node"},
	}}
	got := s.nativeFor(both)
	want := []string{
		"bufferutil@4.0.9 (build/Release/bufferutil.node)",
		"only-x64@1.0.0 (no prebuilds/ for linux/arm64)",
		"pregyp@2.0.0 (lib/binding/napi-v3/pregyp.node)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("nativeFor = %q\nwant %q", got, want)
	}
	// sharp ships src/binding.gyp but loads @img/sharp-<platform>: no
	// addon of its own, nothing refused.
	sharp := &platformScan{Addons: []addonFile{{Pkg: "@img/sharp-linux-x64@0.34.5", Path: "lib/sharp-linux-x64.node", Declares: true}}, Specific: []string{"@img/sharp-linux-x64@0.34.5"}}
	if got := sharp.nativeFor(both); len(got) != 0 {
		t.Errorf("nativeFor(sharp) = %q, want nothing", got)
	}
}

func TestPlatformInstall(t *testing.T) {
	for _, tc := range []struct {
		pm        nodeapp.PackageManager
		want, err string
	}{
		{nodeapp.PackageManager{Kind: lockfile.NPM}, "npm ci --omit=dev --no-audit --no-fund --ignore-scripts --os=linux --cpu=arm64 --libc=glibc", ""},
		{nodeapp.PackageManager{Kind: lockfile.PNPM, Version: "10.34.9"}, "pnpm install --frozen-lockfile --prod --ignore-scripts --os=linux --cpu=arm64 --libc=glibc --store-dir", ""},
		{nodeapp.PackageManager{Kind: lockfile.PNPM, Version: "9.15.0"}, "", "pnpm 9.15.0 cannot install them for linux/arm64 (pnpm 10.14.0 and later can)"},
		{nodeapp.PackageManager{Kind: lockfile.YarnBerry, Version: "4.9.2"}, "", "yarn-berry installs them for the build host only"},
	} {
		args, err := platformInstall(tc.pm, "linux/arm64")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %s: err = %v, want %q", tc.pm.Kind, tc.pm.Version, err, tc.err)
			}
			continue
		}
		if err != nil || len(args) != 3 || !strings.HasPrefix(args[2], tc.want) {
			t.Errorf("%s %s: %q, %v; want sh -c %q…", tc.pm.Kind, tc.pm.Version, args, err, tc.want)
		}
	}
}
