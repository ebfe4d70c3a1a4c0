package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// daemon is a long-running process Up starts detached and Down stops.
type daemon struct {
	name    string   // for messages
	pidFile string   // holds the pid
	logFile string   // stdout and stderr, appended
	match   string   // substring of /proc/<pid>/cmdline that proves the pid is ours
	argv    []string // command line
	env     []string // full environment
	stop    time.Duration
}

// readPid returns the pid in path, or 0 when the file is missing.
func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("bad pid file %s: %q", path, b)
	}
	return pid, nil
}

func writePid(path string, pid int) error {
	return writeFileAtomic(path, []byte(strconv.Itoa(pid)+"\n"), 0o644)
}

// alive reports whether pid runs (not a zombie) and its command line contains match.
func alive(pid int, match string) bool {
	if !exists(pid) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return bytes.Contains(cmdline, []byte(match))
}

// exists reports whether pid is a process that has not exited. Unlike
// alive it ignores the command line, which is briefly empty right after a
// fork+exec: the kernel lets the parent go on before the new program's
// arguments are in place.
func exists(pid int) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && processState(stat) != "Z"
}

// processState returns the state letter of a /proc/<pid>/stat line.
func processState(stat []byte) string {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return ""
	}
	return string(stat[i+2 : i+3])
}

// running returns the daemon's pid when its pid file names a live process of ours.
func (d daemon) running() (int, bool) {
	pid, err := readPid(d.pidFile)
	if err != nil || !alive(pid, d.match) {
		return 0, false
	}
	return pid, true
}

// start launches the daemon in its own session, detached from the caller, so
// it outlives `go run ./ci up`. It writes the pid file.
func (d daemon) start() (int, error) {
	if err := os.MkdirAll(filepath.Dir(d.logFile), 0o755); err != nil {
		return 0, err
	}
	logf, err := os.OpenFile(d.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n--- %s: starting %s\n", time.Now().UTC().Format(time.RFC3339), strings.Join(d.argv, " "))
	cmd := exec.Command(d.argv[0], d.argv[1:]...)
	cmd.Env = d.env
	cmd.Dir = "/"
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", d.name, err)
	}
	pid := cmd.Process.Pid
	if err := writePid(d.pidFile, pid); err != nil {
		_ = cmd.Process.Kill()
		return 0, err
	}
	// Reap it if it dies while we still run; after we exit, init adopts it.
	go func() { _ = cmd.Wait() }()
	waitExec(pid, d.match, 5*time.Second)
	return pid, nil
}

// waitExec waits until pid's command line shows match or the process is
// gone. cmd.Start returns once execve has begun, but the new program's
// arguments appear in /proc a moment later; on a busy machine that gap is
// long enough for running() to miss a daemon that was just started.
func waitExec(pid int, match string, timeout time.Duration) {
	pollUntil(timeout, 5*time.Millisecond, func() bool { return !exists(pid) || alive(pid, match) })
}

// waitReady polls ready until it succeeds, the process dies or ctx/timeout ends.
// Errors carry the tail of the daemon's log.
func (d daemon) waitReady(ctx context.Context, pid int, timeout time.Duration, ready func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if !exists(pid) {
			return fmt.Errorf("%s exited during start-up; %s", d.name, d.logTail())
		}
		if last = ready(); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %v; %s", d.name, timeout, last, d.logTail())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// logTail returns the last lines of the daemon's log for error messages.
func (d daemon) logTail() string {
	b, err := os.ReadFile(d.logFile)
	if err != nil {
		return "no log: " + err.Error()
	}
	return "last lines of " + d.logFile + ":\n" + tail(string(b), 15)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// terminate stops the daemon: SIGTERM, wait up to d.stop, then SIGKILL. It
// removes the pid file. A daemon that is not running is not an error.
// It returns the pid it stopped (0 when none ran) and whether it had to SIGKILL.
func (d daemon) terminate() (pid int, killed bool, err error) {
	pid, ok := d.running()
	if !ok {
		return 0, false, removeIfExists(d.pidFile)
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if !waitGone(pid, d.match, d.stop) {
		killed = true
		_ = syscall.Kill(pid, syscall.SIGKILL)
		if !waitGone(pid, d.match, 5*time.Second) {
			return pid, killed, fmt.Errorf("%s (pid %d) did not exit after SIGKILL", d.name, pid)
		}
	}
	return pid, killed, removeIfExists(d.pidFile)
}

func waitGone(pid int, match string, timeout time.Duration) bool {
	return pollUntil(timeout, 100*time.Millisecond, func() bool { return !alive(pid, match) })
}

// pollUntil calls done every step until it is true (then it returns true)
// or timeout has passed (false).
func pollUntil(timeout, step time.Duration, done func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(step)
	}
	return true
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
