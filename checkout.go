package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"dagger/immutable/internal/dagger"
	"dagger/immutable/repro"
)

// checkout returns the revision and SOURCE_DATE_EPOCH of the build: the
// ones given, else those of gitRef's HEAD by the same functions `go run
// ./ci` uses on its checkout (repro.GitRevision, repro.SourceDateEpoch),
// else "" (the pipeline says "unknown") and repro.DefaultEpoch.
func (m *Immutable) checkout(ctx context.Context, s *session) (string, time.Time, error) {
	rev := m.Revision
	epoch := time.Unix(int64(m.SourceDateEpoch), 0).UTC()
	if rev != "" && m.SourceDateEpoch >= 0 {
		return rev, epoch, nil
	}
	dir := ""
	if m.GitRef != nil {
		d, err := exportGit(ctx, m.GitRef, s.workDir)
		if err != nil {
			return "", time.Time{}, err
		}
		dir = d
	}
	if rev == "" && dir != "" {
		rev = repro.GitRevision(dir)
	}
	if m.SourceDateEpoch < 0 {
		epoch = repro.DefaultEpoch
		if dir != "" {
			t, _, err := repro.SourceDateEpoch(dir)
			if err != nil {
				return "", time.Time{}, err
			}
			epoch = t
		}
	}
	return rev, epoch, nil
}

// exportGit writes the .git directory of ref's tree (HEAD's commit, depth
// 1) into the function's filesystem for git to read.
func exportGit(ctx context.Context, ref *dagger.GitRef, workDir string) (string, error) {
	dir, err := os.MkdirTemp(workDir, "checkout-")
	if err != nil {
		return "", err
	}
	if _, err := ref.Tree().Directory(".git").Export(ctx, filepath.Join(dir, ".git")); err != nil {
		return "", fmt.Errorf("reading the git checkout (pass --revision and --source-date-epoch to skip it): %w", err)
	}
	return dir, nil
}
