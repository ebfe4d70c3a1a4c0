package faultproxy

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// KillAtHold starts cmd and SIGKILLs it as soon as a Hold fault reports a
// request on held, so the process dies at a known point of its work. It
// returns that request ("PUT /v2/..."). It fails when cmd ends by itself
// first, is not killed by the signal, or nothing is held within timeout.
func KillAtHold(cmd *exec.Cmd, held <-chan string, timeout time.Duration) (string, error) {
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case req := <-held:
		cmd.Process.Kill()
		err := <-exited
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			return req, fmt.Errorf("held %s, then the process ended with %v, want killed by SIGKILL", req, err)
		}
		return req, nil
	case err := <-exited:
		return "", fmt.Errorf("the process ended (%v) before any request was held", err)
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-exited
		return "", fmt.Errorf("no request was held in %s", timeout)
	}
}
