package provision

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadPid(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		want          int
		wantErr       bool
	}{
		{"missing", "", 0, false},
		{"ok", "123\n", 123, false},
		{"garbage", "abc", 0, true},
		{"negative", "-4", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".pid")
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := readPid(path)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("readPid(%q) = %d, %v; want %d, error %v", tt.content, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestWritePidRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.pid")
	if err := writePid(path, 4242); err != nil {
		t.Fatal(err)
	}
	if got, err := readPid(path); err != nil || got != 4242 {
		t.Errorf("readPid after writePid(4242) = %d, %v", got, err)
	}
}

func TestProcessState(t *testing.T) {
	tests := []struct{ stat, want string }{
		{"12 (sleep) S 1 12 12", "S"},
		{"13 (a) b) Z 1 13", "Z"},
		{"garbage", ""},
	}
	for _, tt := range tests {
		if got := processState([]byte(tt.stat)); got != tt.want {
			t.Errorf("processState(%q) = %q, want %q", tt.stat, got, tt.want)
		}
	}
}

func TestAlive(t *testing.T) {
	self := os.Getpid()
	exe, _ := os.Executable()
	tests := []struct {
		name  string
		pid   int
		match string
		want  bool
	}{
		{"self", self, filepath.Base(exe), true},
		{"self, other command", self, "no-such-command-xyz", false},
		{"zero", 0, "", false},
		{"absent", 1 << 30, "", false},
	}
	for _, tt := range tests {
		if got := alive(tt.pid, tt.match); got != tt.want {
			t.Errorf("%s: alive(%d, %q) = %v, want %v", tt.name, tt.pid, tt.match, got, tt.want)
		}
	}
}

// TestDaemonLifecycle starts a real detached process, checks the pid file,
// log tail, then stops it twice (the second is a no-op).
func TestDaemonLifecycle(t *testing.T) {
	dir := t.TempDir()
	d := daemon{
		name:    "fake",
		pidFile: filepath.Join(dir, "fake.pid"),
		logFile: filepath.Join(dir, "fake.log"),
		match:   "sleep",
		argv:    []string{"sleep", "300"},
		env:     os.Environ(),
		stop:    5 * time.Second,
	}
	if _, ok := d.running(); ok {
		t.Fatal("running before start")
	}
	pid, err := d.start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _, _ = d.terminate() })
	err = d.waitReady(context.Background(), pid, 5*time.Second, func() error {
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := d.running(); !ok || got != pid {
		t.Errorf("running() = %d, %v; want %d, true", got, ok, pid)
	}
	if tail := d.logTail(); !strings.Contains(tail, "starting sleep 300") {
		t.Errorf("logTail() = %q", tail)
	}
	if stopped, killed, err := d.terminate(); err != nil || stopped != pid || killed {
		t.Errorf("terminate() = %d, %v, %v; want %d, false, nil", stopped, killed, err, pid)
	}
	if _, err := os.Stat(d.pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file still there after terminate: %v", err)
	}
	if stopped, _, err := d.terminate(); err != nil || stopped != 0 {
		t.Errorf("second terminate() = %d, %v; want 0, nil", stopped, err)
	}
}

func TestWaitReadyReportsExit(t *testing.T) {
	dir := t.TempDir()
	d := daemon{
		name:    "quitter",
		pidFile: filepath.Join(dir, "q.pid"),
		logFile: filepath.Join(dir, "q.log"),
		match:   "sh",
		argv:    []string{"/bin/sh", "-c", "echo fatal: no config; exit 3"},
		env:     os.Environ(),
	}
	pid, err := d.start()
	if err != nil {
		t.Fatal(err)
	}
	err = d.waitReady(context.Background(), pid, 5*time.Second, func() error { return os.ErrNotExist })
	if err == nil || !strings.Contains(err.Error(), "exited during start-up") || !strings.Contains(err.Error(), "fatal: no config") {
		t.Errorf("waitReady() = %v, want an exit error with the log tail", err)
	}
}

func TestLockHomeSerializes(t *testing.T) {
	cfg := Config{Home: t.TempDir()}
	unlock, err := lockHome(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		unlock2, err := lockHome(cfg)
		if err == nil {
			unlock2()
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("second lockHome returned while the first held the lock")
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("second lockHome still blocked after unlock")
	}
}
