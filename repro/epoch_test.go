package repro

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSourceDateEpoch(t *testing.T) {
	plain := t.TempDir()
	repo := gitRepo(t, "1700000000")
	tests := []struct {
		name, env, dir string
		want           time.Time
		source, err    string
	}{
		{name: "env wins", env: "1600000000", dir: repo, want: time.Unix(1600000000, 0), source: EpochFromEnv},
		{name: "bad env", env: "yesterday", dir: repo, err: "not a non-negative integer"},
		{name: "git commit time", dir: repo, want: time.Unix(1700000000, 0), source: EpochFromGit},
		{name: "git subdir", dir: filepath.Join(repo, "app"), want: time.Unix(1700000000, 0), source: EpochFromGit},
		{name: "untracked dir in repo: HEAD, as the module", dir: mkdir(t, filepath.Join(repo, "new")), want: time.Unix(1700000000, 0), source: EpochFromGit},
		{name: "not in git", dir: plain, want: DefaultEpoch, source: EpochFromDefault},
		{name: "repo without commits", dir: gitRepo(t, ""), want: DefaultEpoch, source: EpochFromDefault},
		{name: "missing dir", dir: filepath.Join(plain, "nope"), err: "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SOURCE_DATE_EPOCH", tc.env)
			got, source, err := SourceDateEpoch(tc.dir)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("SourceDateEpoch() error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) || source != tc.source {
				t.Errorf("SourceDateEpoch() = %v, %q, want %v, %q", got, source, tc.want, tc.source)
			}
		})
	}
	if DefaultEpoch.Format(time.RFC3339) != "2024-01-01T00:00:00Z" {
		t.Errorf("DefaultEpoch = %v, documented as 2024-01-01T00:00:00Z", DefaultEpoch)
	}
}

// gitRepo makes a repository with app/app.js committed at commitTime (Unix
// seconds); an empty commitTime leaves it without commits.
func gitRepo(t *testing.T, commitTime string) string {
	t.Helper()
	dir := t.TempDir()
	mkdir(t, filepath.Join(dir, "app"))
	if err := os.WriteFile(filepath.Join(dir, "app", "app.js"), []byte("ok"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(),
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
			"GIT_AUTHOR_DATE=@"+commitTime+" +0000", "GIT_COMMITTER_DATE=@"+commitTime+" +0000")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	run("init", "-q")
	if commitTime != "" {
		run("add", ".")
		run("commit", "-q", "-m", "init")
	}
	return dir
}

func mkdir(t *testing.T, p string) string {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
