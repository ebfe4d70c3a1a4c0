package repro

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// DefaultEpoch is the SOURCE_DATE_EPOCH used when neither the environment
// nor git gives one: 2024-01-01T00:00:00Z (Unix 1704067200). It is a
// constant so that a build from a source tarball (no .git) is still
// reproducible.
var DefaultEpoch = time.Unix(1704067200, 0).UTC()

// Epoch sources reported by SourceDateEpoch.
const (
	EpochFromEnv     = "env"
	EpochFromGit     = "git"
	EpochFromDefault = "default"
)

// SourceDateEpoch returns the time to normalize images of the source in dir
// to, and where it came from:
//
//  1. "env": the SOURCE_DATE_EPOCH environment variable (Unix seconds, see
//     reproducible-builds.org); a value that is not an integer is an error.
//  2. "git": the committer time of the commit checked out (HEAD) in the
//     repository holding dir (`git log -1 --format=%ct HEAD`). The Dagger
//     module uses the same rule on its git context, so `go run ./ci` and
//     `dagger call` agree; the revision label is HEAD too. Uncommitted
//     changes do not move it; they change the content and so the digest
//     anyway.
//  3. "default": DefaultEpoch, when dir is not in a git work tree, git is
//     not installed or dir has no commits.
func SourceDateEpoch(dir string) (time.Time, string, error) {
	if v, ok := os.LookupEnv("SOURCE_DATE_EPOCH"); ok && v != "" {
		sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || sec < 0 {
			return time.Time{}, "", fmt.Errorf("source date epoch: SOURCE_DATE_EPOCH=%q is not a non-negative integer", v)
		}
		return time.Unix(sec, 0).UTC(), EpochFromEnv, nil
	}
	t, ok, err := gitEpoch(dir)
	if err != nil {
		return time.Time{}, "", err
	}
	if ok {
		return t, EpochFromGit, nil
	}
	return DefaultEpoch, EpochFromDefault, nil
}

// gitEpoch returns the commit time of HEAD in the repository of dir; ok is
// false when git has no answer (not a repository, no commits, no git).
func gitEpoch(dir string) (time.Time, bool, error) {
	if _, err := os.Stat(dir); err != nil {
		return time.Time{}, false, fmt.Errorf("source date epoch: %w", err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		return time.Time{}, false, nil
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("git", "log", "-1", "--format=%ct", "HEAD")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			// Not a repository, or a repository without commits.
			return time.Time{}, false, nil
		}
		return time.Time{}, false, fmt.Errorf("source date epoch: git log: %w: %s", err, stderr.String())
	}
	out := strings.TrimSpace(stdout.String())
	if out == "" {
		// Nothing printed: treat as no answer.
		return time.Time{}, false, nil
	}
	sec, err := strconv.ParseInt(out, 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("source date epoch: git log printed %q", out)
	}
	return time.Unix(sec, 0).UTC(), true, nil
}

// GitRevision is the commit checked out (HEAD) in the repository holding
// dir, or "" when there is none. With SourceDateEpoch it is the one rule
// both doors use for defaults: `go run ./ci` on the source directory, the
// Dagger module on its git context.
func GitRevision(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
