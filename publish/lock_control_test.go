package publish

import (
	"context"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"dagger/immutable/internal/testenv"
)

// TestLockNegativeControl runs TestConcurrency's races on the in-memory
// registry without the host lock, every publisher paused once it has
// planned until the others have planned too: the interleaving the lock
// prevents. It shows the failures the lock exists for (one version
// released three times, latest moved backwards), then the same races with
// the lock, which give one release and latest at the highest version.
func TestLockNegativeControl(t *testing.T) {
	ctx := context.Background()
	imgs := []v1.Image{testImage(t, 1), testImage(t, 2), testImage(t, 3)}

	sameVersion := func(t *testing.T, o Options) (released int, tag string) {
		repo := newRegistry(t, nil)
		res, errs := race(t, repo, len(imgs), func(i int) (*Result, error) {
			return Publish(ctx, target(t, repo), imgs[i], ver(t, "1.0.0"), Record{}, o)
		})
		for i, err := range errs {
			if err == nil && !res[i].AlreadyReleased {
				released++
			}
		}
		return released, testenv.Tags(t, repo)["v1.0.0"]
	}
	t.Run("same version without the lock: released three times", func(t *testing.T) {
		o := testOptions()
		o.noLock = true
		var planned sync.WaitGroup
		planned.Add(len(imgs))
		o.afterPlan = func(string) { planned.Done(); planned.Wait() }
		released, tag := sameVersion(t, o)
		if released != len(imgs) {
			t.Errorf("without the lock %d publishes reported releasing 1.0.0, want %d (the failure the lock prevents)", released, len(imgs))
		}
		t.Logf("without the lock: %d publishes say they released 1.0.0; v1.0.0 points at %s, so %d of them are wrong", released, tag, released-1)
	})
	t.Run("same version with the lock: released once", func(t *testing.T) {
		o := testOptions()
		o.LockDir = t.TempDir()
		if released, _ := sameVersion(t, o); released != 1 {
			t.Errorf("with the lock %d publishes released 1.0.0, want 1", released)
		}
	})

	backwards := func(t *testing.T, o Options, pause bool) (latest string, want map[string]string) {
		repo := newRegistry(t, nil)
		versions := []string{"2.0.0", "1.0.0"}
		want = map[string]string{"2.0.0": digestOf(t, imgs[0]), "1.0.0": digestOf(t, imgs[1])}
		var planned sync.WaitGroup
		planned.Add(len(versions))
		highDone := make(chan struct{})
		if pause {
			// Both plan first; 1.0.0 writes once 2.0.0 has finished.
			o.afterPlan = func(v string) {
				planned.Done()
				planned.Wait()
				if v == "1.0.0" {
					<-highDone
				}
			}
		}
		_, errs := race(t, repo, len(versions), func(i int) (*Result, error) {
			res, err := Publish(ctx, target(t, repo), imgs[i], ver(t, versions[i]), Record{}, o)
			if i == 0 {
				close(highDone)
			}
			return res, err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("publish %s: %v", versions[i], err)
			}
		}
		return testenv.Tags(t, repo)["latest"], want
	}
	t.Run("different versions without the lock: latest moves backwards", func(t *testing.T) {
		o := testOptions()
		o.noLock = true
		latest, d := backwards(t, o, true)
		if latest != d["1.0.0"] {
			t.Errorf("without the lock latest = %s, want 1.0.0's %s (moved backwards: the failure the lock prevents)", latest, d["1.0.0"])
		}
	})
	t.Run("different versions with the lock: latest at the highest", func(t *testing.T) {
		o := testOptions()
		o.LockDir = t.TempDir()
		if latest, d := backwards(t, o, false); latest != d["2.0.0"] {
			t.Errorf("with the lock latest = %s, want 2.0.0's %s", latest, d["2.0.0"])
		}
	})
}
