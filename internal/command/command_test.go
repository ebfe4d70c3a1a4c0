package command

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

func TestOutput(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	ctx := context.Background()
	dir := t.TempDir()

	out, err := Output(ctx, dir, "sh", "-c", "pwd; echo noise >&2")
	if err != nil {
		t.Fatalf("Output(pwd) = %v", err)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasSuffix(got, dir) {
		t.Errorf("Output(pwd) = %q, want %q (stdout only, run in dir)", got, dir)
	}

	long := strings.Repeat("x", 3*maxStderr)
	_, err = Output(ctx, "", "sh", "-c", "echo "+long+"tail >&2; exit 3")
	if err == nil {
		t.Fatal("Output(exit 3) = nil error")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "sh -c echo ") || !strings.Contains(msg, "exit status 3") || !strings.HasSuffix(msg, "xtail") {
		t.Errorf("Output(exit 3) error = %.80q..., want command, exit status and stderr's tail", msg)
	}
	if len(msg) > len("sh -c echo ")+len(long)+len("tail >&2; exit 3: exit status 3: ")+maxStderr {
		t.Errorf("Output(exit 3) error is %d bytes: stderr not trimmed to its tail", len(msg))
	}
}
