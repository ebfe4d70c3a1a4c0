package provision

import (
	"context"
	"errors"
	"fmt"
)

// Down stops the engine (SIGTERM, up to EngineStopTimeout, then SIGKILL) and
// the registry, found by their pid files, and removes the pid files. It
// touches nothing else: the engine kept its /etc/resolv.conf mount in its own
// mount namespace, so the host's file is as it was. Down is idempotent.
func Down(ctx context.Context, cfg Config) error {
	unlock, err := lockHome(cfg)
	if err != nil {
		return fmt.Errorf("down: %w", err)
	}
	defer unlock()
	w := cfg.logw()
	var errs []error
	for _, d := range []daemon{cfg.engineDaemon(), cfg.registryDaemon()} {
		fmt.Fprintf(w, "==> down: %s\n", d.name)
		pid, killed, err := d.terminate()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("down: %s: %w", d.name, err))
			fmt.Fprintf(w, "    failed: %v\n", err)
		case killed:
			fmt.Fprintf(w, "    killed (pid %d did not exit within %s of SIGTERM)\n", pid, d.stop)
		case pid != 0:
			fmt.Fprintf(w, "    stopped (pid %d)\n", pid)
		default:
			fmt.Fprintf(w, "    not running\n")
		}
	}
	return errors.Join(errs...)
}
