package publish

import (
	"context"
	"errors"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"dagger/immutable/internal/testenv"
)

// race runs n publishes at once (released together) and returns their
// results and errors in order.
func race(t *testing.T, repo string, n int, publish func(i int) (*Result, error)) ([]*Result, []error) {
	t.Helper()
	res, errs := make([]*Result, n), make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			res[i], errs[i] = publish(i)
		}()
	}
	start.Done()
	done.Wait()
	return res, errs
}

// TestConcurrency runs concurrent publishes against the real registry, each
// with its own client and lock file descriptor, as separate processes would.
func TestConcurrency(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.LockDir = t.TempDir()
	runs, consistent := 0, 0

	t.Run("same version, same image: one release, the rest no-ops", func(t *testing.T) {
		repo := e2eRepo(t)
		img := testImage(t, 1)
		res, errs := race(t, repo, 4, func(int) (*Result, error) {
			return Publish(ctx, target(t, repo), img, ver(t, "1.0.0"), Record{}, o)
		})
		runs += len(res)
		released := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
			if !res[i].AlreadyReleased {
				released++
			}
		}
		if released != 1 {
			t.Errorf("%d publishes released 1.0.0, want exactly 1 (the others no-ops)", released)
		}
		d := digestOf(t, img)
		want := map[string]string{"v1.0.0": d, "v1.0": d, "v1": d, "latest": d}
		if got := withoutRecords(testenv.Tags(t, repo)); !equalMaps(got, want) {
			t.Errorf("tags = %v, want %v", got, want)
		} else {
			consistent++
		}
		checkComplete(t, repo, testenv.Tags(t, repo))
	})

	t.Run("same version, different images: one release, the rest refused", func(t *testing.T) {
		repo := e2eRepo(t)
		imgs := []v1.Image{testImage(t, 1), testImage(t, 2), testImage(t, 3)}
		res, errs := race(t, repo, len(imgs), func(i int) (*Result, error) {
			return Publish(ctx, target(t, repo), imgs[i], ver(t, "1.0.0"), Record{}, o)
		})
		runs += len(res)
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("publishes %d and %d both released 1.0.0", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, ErrVersionExists):
				t.Errorf("publish %d: %v, want ErrVersionExists", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no publish released 1.0.0")
		}
		d := digestOf(t, imgs[winner])
		want := map[string]string{"v1.0.0": d, "v1.0": d, "v1": d, "latest": d}
		if got := withoutRecords(testenv.Tags(t, repo)); !equalMaps(got, want) {
			t.Errorf("tags = %v, want %v (the winner's)", got, want)
		} else {
			consistent++
		}
		checkComplete(t, repo, testenv.Tags(t, repo))
	})

	t.Run("different versions: floating tags end at the highest", func(t *testing.T) {
		repo := e2eRepo(t)
		versions := []string{"1.0.0", "2.1.0", "1.0.1", "1.2.0", "2.0.0", "1.1.0", "1.3.0-rc.1"}
		imgs := make([]v1.Image, len(versions))
		d := map[string]string{}
		for i, v := range versions {
			imgs[i] = testImage(t, int64(10+i))
			d[v] = digestOf(t, imgs[i])
		}
		_, errs := race(t, repo, len(versions), func(i int) (*Result, error) {
			return Publish(ctx, target(t, repo), imgs[i], ver(t, versions[i]), Record{}, o)
		})
		runs += len(versions)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("publish %s: %v", versions[i], err)
			}
		}
		want := map[string]string{
			"v1.0": d["1.0.1"], "v1.1": d["1.1.0"], "v1.2": d["1.2.0"], "v1": d["1.2.0"],
			"v2.0": d["2.0.0"], "v2.1": d["2.1.0"], "v2": d["2.1.0"], "latest": d["2.1.0"],
		}
		for _, v := range versions {
			want["v"+v] = d[v]
		}
		if got := withoutRecords(testenv.Tags(t, repo)); !equalMaps(got, want) {
			t.Errorf("tags after concurrent releases:\n got %v\nwant %v", got, want)
		} else {
			consistent++
		}
		checkComplete(t, repo, testenv.Tags(t, repo))
	})

	if !t.Failed() {
		testenv.Summary(t, "concurrency", "%d concurrent publishes in 3 races, %d of 3 registries consistent", runs, consistent)
	}
}
