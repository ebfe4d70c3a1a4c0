package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockPoll is how often a waiting publisher tries the lock again.
const lockPoll = 100 * time.Millisecond

// DefaultLockDir returns where publish locks live when Options.LockDir is
// "": $IMMUTABLE_HOME/locks when that is set (the host state of `go run
// ./ci up`), else <temp dir>/immutable-locks.
func DefaultLockDir() string {
	if h := os.Getenv("IMMUTABLE_HOME"); h != "" {
		return filepath.Join(h, "locks")
	}
	return filepath.Join(os.TempDir(), "immutable-locks")
}

// repoLock is an exclusive lock on one repository for this host: an flock
// on a file named after the repository, so it serializes publishers in one
// process and across processes, and is released by the kernel if the
// process dies.
type repoLock struct{ f *os.File }

// lockRepo waits (until ctx is done) for the lock on repo in dir.
func lockRepo(ctx context.Context, dir, repo string, o Options) (*repoLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("publish lock: %w", err)
	}
	sum := sha256.Sum256([]byte(repo))
	path := filepath.Join(dir, hex.EncodeToString(sum[:8])+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("publish lock: %w", err)
	}
	waiting := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &repoLock{f}, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("publish lock %s: %w", path, err)
		}
		if !waiting {
			o.logf("publish: waiting for another publish to %s on this host (lock %s)", repo, path)
			waiting = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the publish lock of %s: %w", repo, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// lock takes the host lock of c's repository.
func (c *client) lock(ctx context.Context) (*repoLock, error) {
	if c.o.noLock {
		return &repoLock{}, nil
	}
	dir := c.o.LockDir
	if dir == "" {
		dir = DefaultLockDir()
	}
	return lockRepo(ctx, dir, c.repo.String(), c.o)
}

// unlock releases the lock.
func (l *repoLock) unlock() {
	if l.f != nil {
		l.f.Close()
	}
}
