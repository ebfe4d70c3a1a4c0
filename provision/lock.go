package provision

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockHome takes an exclusive lock on Home/up.lock so that concurrent Up and
// Down calls (say, `go run ./ci up` while tests run) take turns. The
// returned func releases it.
func lockHome(cfg Config) (func(), error) {
	path := filepath.Join(cfg.Home, "up.lock")
	if err := os.MkdirAll(cfg.Home, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		fmt.Fprintf(cfg.logw(), "==> waiting for another up/down holding %s\n", path)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
	}
	return func() { f.Close() }, nil
}
