package attest

import (
	"strings"
	"testing"
)

// TestToolVersion: even unstamped (go test, go run), the version names the
// program by its executable's digest.
func TestToolVersion(t *testing.T) {
	v := ToolVersion()
	d, err := ExecutableDigest()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d, "sha256:") || len(d) != 71 {
		t.Fatalf("ExecutableDigest() = %q", d)
	}
	if v == "devel" || v == "" {
		t.Errorf("ToolVersion() = %q, want a version, a revision or devel+<digest>", v)
	}
}
