package soak

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
	"dagger/immutable/publish"
)

// defaultCycles is the number of release cycles without IMMUTABLE_SOAK_CYCLES.
const defaultCycles = 20

// Bounds the soak asserts: a leak shows as growth that keeps up with the
// cycles. Each is a few times what healthy full runs measured on the
// 2-core reference machine (RSS 0.4–0.66 GB, +26 MB over 20 cycles; about
// 0.2 GB of state per cycle before the engine's GC, less after).
const (
	// maxRSS bounds the engine's resident memory after any cycle.
	maxRSS = 2 << 30
	// maxRSSGrowth bounds the engine's RSS after the soak over before it.
	maxRSSGrowth = 512 << 20
	// maxStateGrowthPerCycle bounds the growth of the engine's state
	// directory per cycle, measured after pruning back to the cache size
	// before the soak.
	maxStateGrowthPerCycle = 500e6
)

// TestSoak releases the fixture again and again, each time with a changed
// greeting (a new digest), as versions 1.0.0, 1.0.1, …: every release must
// publish and move latest. It reports the engine's RSS and state size
// before and after, then prunes the engine cache back to its size before
// the soak and reports what that reclaimed.
func TestSoak(t *testing.T) {
	c := testenv.Client(t)
	cycles := defaultCycles
	if s := os.Getenv("IMMUTABLE_SOAK_CYCLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("IMMUTABLE_SOAK_CYCLES=%q: want a positive number", s)
		}
		cycles = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	repo := fmt.Sprintf("%s/soak/app-%d", testenv.Registry(t), time.Now().UnixNano())
	rss0, state0 := engineRSS(t), stateBytes(t)
	cache0 := cacheBytes(ctx, t, c)

	// The releases run in their own session: the engine can only prune
	// entries no open session holds.
	rc, err := dagger.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	run := time.Now().UnixNano() // a new source every run, not just every cycle
	start := time.Now()
	seen := map[string]int{}
	rssMax := rss0
	for i := range cycles {
		dir := fixtureCopy(t, fmt.Sprintf("Hello from soak %d cycle %d", run, i))
		version := fmt.Sprintf("1.0.%d", i)
		r, err := pipeline.Release(ctx, rc, pipeline.ReleaseOptions{
			Build: pipeline.BuildOptions{
				Source:  rc.Host().Directory(dir),
				Version: version, Revision: fmt.Sprintf("soak-%d", i), Epoch: time.Unix(1704067200, 0).UTC(),
				Smoke: pipeline.SmokeOptions{VersionPath: "/version"},
			},
			Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir(), AdvisoryDB: testenv.Path("fixtures", "osv"),
		})
		if err != nil {
			t.Fatalf("cycle %d: release %s: %v", i, version, err)
		}
		if j, ok := seen[r.Digest]; ok {
			t.Fatalf("cycle %d gave the digest of cycle %d: the source change was lost", i, j)
		}
		seen[r.Digest] = i
		if r.Result.AlreadyReleased || !slices.Contains(r.Result.Moved, publish.LatestTag) {
			t.Fatalf("cycle %d: released = %v, moved %v; want a new release moving latest", i, !r.Result.AlreadyReleased, r.Result.Moved)
		}
		rss := engineRSS(t)
		rssMax = max(rssMax, rss)
		t.Logf("cycle %2d: %s %s in %s, engine RSS %d MB", i, version, r.Digest[:19], r.Wall.Round(time.Second), rss>>20)
		if rss > maxRSS {
			t.Errorf("cycle %d: engine RSS %d MB > %d MB", i, rss>>20, maxRSS>>20)
		}
	}
	wall := time.Since(start)
	rc.Close()
	h, err := pipeline.Releases(ctx, pipeline.Registry{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Releases) != cycles || h.Tag(publish.LatestTag) != h.Releases[0].Record.Digest && h.Tag(publish.LatestTag) != h.Releases[len(h.Releases)-1].Record.Digest {
		t.Errorf("history has %d releases (want %d), latest %s", len(h.Releases), cycles, h.Tag(publish.LatestTag))
	}
	rss1, state1 := engineRSS(t), stateBytes(t)
	cache1 := cacheBytes(ctx, t, c)

	// Prune back to the cache size before the soak: least recently used
	// entries go first, so the other suites' warm cache mostly stays.
	if err := c.Engine().LocalCache().Prune(ctx, dagger.EngineCachePruneOpts{
		MaxUsedSpace: strconv.Itoa(cache0), TargetSpace: strconv.Itoa(cache0),
	}); err != nil {
		t.Fatalf("pruning the engine cache: %v", err)
	}
	cache2 := cacheBytes(ctx, t, c)
	if cache2 >= cache1 && cache1 > cache0 {
		t.Errorf("prune reclaimed nothing: cache %d -> %d bytes", cache1, cache2)
	}
	state2 := stateBytes(t)
	if rss1-rss0 > maxRSSGrowth {
		t.Errorf("engine RSS grew %d MB over the soak (%d -> %d MB), more than %d MB", (rss1-rss0)>>20, rss0>>20, rss1>>20, maxRSSGrowth>>20)
	}
	if per := (state2 - state0) / int64(cycles); per > maxStateGrowthPerCycle {
		t.Errorf("engine state grew %s per cycle after pruning (%s -> %s), more than %s", gb(per), gb(state0), gb(state2), gb(maxStateGrowthPerCycle))
	}
	cache := c.Engine().LocalCache()
	maxUsed, err := cache.MaxUsedSpace(ctx)
	if err != nil {
		t.Fatal(err)
	}
	minFree, err := cache.MinFreeSpace(ctx)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Summary(t, "soak", "%d releases in %s (%s/cycle); engine RSS %d -> %d MB (max %d; bounds %d MB, +%d MB); state dir %s -> %s, %s after pruning (bound +%s/cycle); cache %s -> %s, pruned to %s (%s reclaimed; the engine's own GC keeps it under %s with %s free)",
		cycles, wall.Round(time.Second), (wall / time.Duration(cycles)).Round(time.Second), rss0>>20, rss1>>20, rssMax>>20, maxRSS>>20, maxRSSGrowth>>20,
		gb(state0), gb(state1), gb(state2), gb(maxStateGrowthPerCycle), gb(int64(cache0)), gb(int64(cache1)), gb(int64(cache2)), gb(int64(cache1-cache2)), gb(int64(maxUsed)), gb(int64(minFree)))
}

// fixtureCopy copies fixtures/app and changes its
// greeting.
func fixtureCopy(t *testing.T, greeting string) string {
	t.Helper()
	dst := testenv.CopyFixture(t, "app")
	app := filepath.Join(dst, "app.js")
	b, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	const old = "Hello from an immutable image"
	if !strings.Contains(string(b), old) {
		t.Fatalf("app.js does not contain %q", old)
	}
	if err := os.WriteFile(app, []byte(strings.Replace(string(b), old, greeting, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// engineRSS is the engine process's resident memory in bytes.
func engineRSS(t *testing.T) int64 {
	t.Helper()
	pid, err := os.ReadFile(filepath.Join(engineDir(t), "engine.pid"))
	if err != nil {
		t.Fatalf("engine pid: %v", err)
	}
	status, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/status")
	if err != nil {
		t.Fatalf("engine status: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("engine status has no VmRSS")
	return 0
}

// stateBytes is the disk usage of the engine's state directory.
func stateBytes(t *testing.T) int64 {
	t.Helper()
	// The engine adds and removes files while du walks: du then exits 1
	// but still prints the total.
	out, err := exec.Command("du", "-sb", filepath.Join(engineDir(t), "root")).Output()
	f := strings.Fields(string(out))
	if len(f) == 0 {
		t.Fatalf("du: %v", err)
	}
	n, perr := strconv.ParseInt(f[0], 10, 64)
	if perr != nil {
		t.Fatalf("du: %q: %v (%v)", out, perr, err)
	}
	return n
}

// cacheBytes is the engine cache's size as the engine accounts it.
func cacheBytes(ctx context.Context, t *testing.T, c *dagger.Client) int {
	t.Helper()
	n, err := c.Engine().LocalCache().EntrySet().DiskSpaceBytes(ctx)
	if err != nil {
		t.Fatalf("engine cache size: %v", err)
	}
	return n
}

func engineDir(t *testing.T) string {
	h := os.Getenv("IMMUTABLE_HOME")
	if h == "" {
		t.Fatal("IMMUTABLE_HOME is not set; run under `go run ./ci test`")
	}
	return filepath.Join(h, "engine")
}

func gb(n int64) string { return fmt.Sprintf("%.2f GB", float64(n)/1e9) }
