// Package command runs the host's tools (apt-get, apt-cache, npm) for
// provisioning and reports their failures with what they printed.
package command

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// maxStderr is how much of a failed command's stderr (its tail) an error
// carries.
const maxStderr = 2000

// Output runs name with args in dir (the current directory when dir is "")
// and returns its stdout. A failure's error names the command and carries
// the last 2000 bytes of its stderr.
func Output(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > maxStderr {
			msg = msg[len(msg)-maxStderr:]
		}
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return stdout.Bytes(), nil
}
