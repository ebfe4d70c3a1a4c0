package publish

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"dagger/immutable/internal/faultproxy"
	"dagger/immutable/internal/testenv"
)

// faultBackoff makes go-containerregistry's retries real but quick: 4
// attempts, 10ms, 20ms and 40ms apart.
var faultBackoff = remote.Backoff{Duration: 10 * time.Millisecond, Factor: 2, Steps: 4}

// faultBlobs is the number of blobs of a faultImage: config and 2 layers.
const faultBlobs = 3

// faultImage is a seeded image of two 2 MiB layers (random bytes, so
// compressed they stay about that size): big enough for a fault to land in
// the middle of a blob upload.
func faultImage(t testing.TB, seed int64) v1.Image {
	t.Helper()
	img, err := random.Image(2<<20, 2, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// faultAccess is the registry access of every publish in the fault suite.
var faultAccess = Access{Backoff: &faultBackoff}

// faultOptions are the publish rules of every publish in the fault suite.
func faultOptions(t testing.TB) Options {
	o := testOptions()
	o.Log = testLog{t}
	return o
}

// testLog writes publish progress to the test log.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// bigUpload matches blob upload bodies of more than 1 MiB (the layers, not
// the config or a record), so a fault in them is really mid-blob.
func bigUpload(r *http.Request) bool {
	return r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/blobs/uploads/") && r.ContentLength > 1<<20
}

// faultRelease is one scenario's repository in the real registry, with
// 1.0.0 (old) released cleanly and 1.1.0 (img) to be released under faults.
type faultRelease struct {
	reg, path string // registry host and repository path
	old, img  v1.Image
	d0, d1    string
}

// newFaultRelease creates a fresh repository faults/<scenario>-<nanos> and
// releases 1.0.0 in it directly (no proxy).
func newFaultRelease(t *testing.T, reg, scenario string) *faultRelease {
	t.Helper()
	f := &faultRelease{
		reg:  reg,
		path: fmt.Sprintf("faults/%s-%d", scenario, time.Now().UnixNano()),
		old:  faultImage(t, 1),
		img:  faultImage(t, 2),
	}
	f.d0, f.d1 = digestOf(t, f.old), digestOf(t, f.img)
	mustPublish(t, f.direct(), f.old, "1.0.0", faultOptions(t), faultAccess)
	return f
}

// direct is the repository in the registry itself; via is the same
// repository through a proxy.
func (f *faultRelease) direct() string                 { return f.reg + "/" + f.path }
func (f *faultRelease) via(p *faultproxy.Proxy) string { return p.Host + "/" + f.path }

// publish releases 1.1.0 to repo.
func (f *faultRelease) publish(t testing.TB, repo string) (*Result, error) {
	return Publish(context.Background(), target(t, repo, faultAccess), f.img, ver(t, "1.1.0"), Record{SourceRevision: "rev-1.1.0"}, faultOptions(t))
}

// checkState reads the tags directly from the registry after a fault and
// checks them: every tag points at a complete image (or readable record),
// old tags stay, v1.1.0 is absent or the new image, floating tags are at
// 1.0.0 or the new image, and the record tag exists only once every other
// tag is in place. It returns the number of tags pointing at incomplete
// images or records, and whether v1.1.0 exists.
func (f *faultRelease) checkState(t *testing.T) (partial int, versionTag bool) {
	t.Helper()
	tags := testenv.Tags(t, f.direct())
	partial = f.reportIncomplete(t, tags)
	for tag, d := range tags {
		var ok bool
		switch tag {
		case "v1.0.0", "v1.0":
			ok = d == f.d0
		case "v1.1.0", "v1.1":
			ok = d == f.d1
		case "v1", "latest":
			ok = d == f.d0 || d == f.d1
		case "v1.0.0_release", "v1.1.0_release":
			ok = true
		}
		if !ok {
			t.Errorf("after the fault %s = %s; want 1.0.0 (%s) or 1.1.0 (%s) as the rules allow", tag, d, f.d0, f.d1)
		}
	}
	for _, tag := range []string{"v1.0.0", "v1.0", "v1", "latest", "v1.0.0_release"} {
		if _, ok := tags[tag]; !ok {
			t.Errorf("after the fault %s is missing", tag)
		}
	}
	if _, ok := tags["v1.1.0_release"]; ok {
		for _, tag := range []string{"v1.1.0", "v1.1", "v1", "latest"} {
			if tags[tag] != f.d1 {
				t.Errorf("record v1.1.0_release exists but %s = %s, want %s", tag, tags[tag], f.d1)
			}
		}
	}
	_, versionTag = tags["v1.1.0"]
	return partial, versionTag
}

// incomplete downloads, directly from the registry, the image behind every
// non-record tag (manifest, config and every layer, digest-verified by
// go-containerregistry; each digest once) and reads every record. It
// returns one line for each tag that points at something incomplete.
func (f *faultRelease) incomplete(tags map[string]string) []string {
	tg, err := NewTarget(context.Background(), f.direct(), Access{})
	if err != nil {
		return []string{err.Error()}
	}
	c, err := newClient(context.Background(), tg, Options{})
	if err != nil {
		return []string{err.Error()}
	}
	checked := map[string]error{}
	var bad []string
	for _, tag := range slices.Sorted(maps.Keys(tags)) {
		d := tags[tag]
		if strings.Contains(tag, "_") {
			if _, err := c.readRecord(tag); err != nil {
				bad = append(bad, fmt.Sprintf("record %s is incomplete: %v", tag, err))
			}
			continue
		}
		err, done := checked[d]
		if !done {
			err = fetchDigest(f.direct(), d)
			checked[d] = err
		}
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s points at an incomplete image %s: %v", tag, d, err))
		}
	}
	return bad
}

// reportIncomplete reports incomplete tags as test errors and counts them.
func (f *faultRelease) reportIncomplete(t *testing.T, tags map[string]string) int {
	t.Helper()
	bad := f.incomplete(tags)
	for _, b := range bad {
		t.Error(b)
	}
	return len(bad)
}

// fetchDigest downloads repo@digest completely.
func fetchDigest(repo, digest string) error {
	ref, err := name.NewDigest(repo + "@" + digest)
	if err != nil {
		return err
	}
	img, err := remote.Image(ref)
	if err != nil {
		return err
	}
	return testenv.FetchAll(img)
}

// rerun publishes 1.1.0 again directly, without faults, and checks the
// exact final state: v1.0.0 and v1.0 at 1.0.0; v1.1.0, v1.1, v1 and latest
// at 1.1.0; the two release records; every tag complete. wantDone means
// the faulted release had finished (the rerun must be a no-op), resumed
// that the version tag was there (the rerun must resume). It reports
// whether the final state is right and adds incomplete tags to *partial.
func (f *faultRelease) rerun(t *testing.T, wantDone, resumed bool, partial *int) bool {
	t.Helper()
	ok := true
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
		ok = false
	}
	res, err := f.publish(t, f.direct())
	if err != nil {
		fail("rerun without faults: %v", err)
		return false
	}
	if res.AlreadyReleased != wantDone || res.Resumed != (resumed && !wantDone) {
		fail("rerun: AlreadyReleased %v, Resumed %v; want %v, %v", res.AlreadyReleased, res.Resumed, wantDone, resumed && !wantDone)
	}
	tags := testenv.Tags(t, f.direct())
	want := map[string]string{
		"v1.0.0": f.d0, "v1.0": f.d0,
		"v1.1.0": f.d1, "v1.1": f.d1, "v1": f.d1, "latest": f.d1,
	}
	if got := withoutRecords(tags); !equalMaps(got, want) {
		fail("tags after the rerun = %v, want %v", got, want)
	}
	var records []string
	for tag := range tags {
		if strings.Contains(tag, "_") {
			records = append(records, tag)
		}
	}
	slices.Sort(records)
	if !slices.Equal(records, []string{"v1.0.0_release", "v1.1.0_release"}) {
		fail("record tags after the rerun = %v, want v1.0.0_release and v1.1.0_release", records)
	}
	if c, err := newClient(context.Background(), target(t, f.direct()), Options{}); err != nil {
		fail("%v", err)
	} else if rec, err := c.readRecord("v1.1.0_release"); err != nil || rec.Digest != f.d1 || rec.Version != "1.1.0" {
		fail("record v1.1.0_release = %+v, %v; want version 1.1.0 at %s", rec, err, f.d1)
	}
	if bad := f.reportIncomplete(t, tags); bad > 0 {
		*partial += bad
		ok = false
	}
	return ok
}

// faultScenario is one registry fault in front of the 1.1.0 release.
type faultScenario struct {
	name  string // also names the repository
	rules []faultproxy.Rule
	// ok: retries absorb the fault and the faulted publish succeeds.
	// Otherwise it fails and the error satisfies check.
	ok    bool
	check func(error) string // "" if err is the expected, clear error
	// bounds on the faults the proxy applied (max 0: no bound)
	minFaults, maxFaults int
	minTook              time.Duration
	// delayOnly: the rules only delay requests (no error, reset or kill);
	// the summary counts them apart from injected faults.
	delayOnly bool
}

// status expects a registry error with code after retries, and text in
// the message (the hint on what happened to the tags).
func status(code int, text string) func(error) string {
	return func(err error) string {
		var terr *transport.Error
		if !errors.As(err, &terr) || terr.StatusCode != code {
			return fmt.Sprintf("want a registry error with status %d", code)
		}
		if !strings.Contains(err.Error(), text) {
			return fmt.Sprintf("want %q in the message", text)
		}
		return ""
	}
}

// connReset expects a reset or cut connection, and text in the message.
func connReset(text string) func(error) string {
	return func(err error) string {
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) && !strings.Contains(err.Error(), "EOF") {
			return "want a connection reset"
		}
		if !strings.Contains(err.Error(), text) {
			return fmt.Sprintf("want %q in the message", text)
		}
		return ""
	}
}

// unauthorized expects ErrUnauthorized with a hint about credentials.
func unauthorized(err error) string {
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "credentials") {
		return "want ErrUnauthorized with a hint about credentials"
	}
	return ""
}

func faultScenarios() []faultScenario {
	on := faultproxy.On
	const (
		upload   = `/blobs/uploads/`
		manifest = `/manifests/sha256:`
	)
	rule := func(match func(*http.Request) bool, times int, fault faultproxy.Fault) []faultproxy.Rule {
		return []faultproxy.Rule{{Match: match, Times: times, Fault: fault}}
	}
	always := faultproxy.Always
	return []faultScenario{
		// Short bursts: retried with backoff, the publish succeeds.
		{name: "500-burst-blob-upload", rules: rule(on("PATCH", upload), 2, faultproxy.Status(500)), ok: true, minFaults: 2, maxFaults: 2},
		{name: "502-burst-blob-commit", rules: rule(on("PUT", upload), 2, faultproxy.Status(502)), ok: true, minFaults: 2, maxFaults: 2},
		{name: "503-burst-manifest-put", rules: rule(on("PUT", manifest), 3, faultproxy.Status(503)), ok: true, minFaults: 3, maxFaults: 3},
		{name: "502-burst-floating-tag", rules: rule(on("PUT", `/manifests/v1$`), 2, faultproxy.Status(502)), ok: true, minFaults: 2, maxFaults: 2},
		// Persistent: retries run out (each faulted step tried
		// faultBackoff.Steps times) and the error says what is left.
		{name: "500-persistent-blob-upload", rules: rule(on("PATCH", upload), always, faultproxy.Status(500)),
			check: status(500, "no tags were changed"), minFaults: faultBackoff.Steps},
		{name: "503-persistent-manifest-put", rules: rule(on("PUT", manifest), always, faultproxy.Status(503)),
			check: status(503, "no tags were changed"), minFaults: faultBackoff.Steps, maxFaults: faultBackoff.Steps},
		{name: "502-persistent-floating-tag", rules: rule(on("PUT", `/manifests/v1$`), always, faultproxy.Status(502)),
			check: status(502, "re-run the same release"), minFaults: faultBackoff.Steps, maxFaults: faultBackoff.Steps},
		// Connection resets.
		{name: "reset-mid-blob", rules: rule(bigUpload, 1, faultproxy.ResetRequest(512<<10)), ok: true, minFaults: 1, maxFaults: 1},
		{name: "reset-mid-blob-persistent", rules: rule(bigUpload, always, faultproxy.ResetRequest(512<<10)),
			check: connReset("no tags were changed"), minFaults: faultBackoff.Steps},
		// A reset while the manifest is read back for verification: the
		// body is read inside the round trip (bufferSmall), so it is
		// retried; a reset on every read fails before any tag.
		{name: "reset-mid-manifest-response", rules: rule(on("GET", manifest), 1, faultproxy.ResetResponse(64)), ok: true, minFaults: 1, maxFaults: 1},
		{name: "reset-mid-manifest-response-persistent", rules: rule(on("GET", manifest), always, faultproxy.ResetResponse(64)),
			check: connReset("no tags were changed"), minFaults: faultBackoff.Steps},
		// Slow registry: every request 150ms late.
		{name: "slow-responses", rules: rule(nil, always, faultproxy.Delay(150*time.Millisecond)), ok: true, minFaults: 10, minTook: 10 * 150 * time.Millisecond, delayOnly: true},
		// Rate limited: the retry waits for Retry-After.
		{name: "429-retry-after", rules: rule(on("POST", upload), 1, faultproxy.TooManyRequests("1")), ok: true, minFaults: 1, maxFaults: 1, minTook: time.Second},
		// No push rights: not retried, one refusal per blob upload at most.
		{name: "401-on-push", rules: rule(faultproxy.Push, always, faultproxy.Unauthorized()),
			check: unauthorized, minFaults: 1, maxFaults: faultBlobs},
	}
}

// TestFaultsRegistry releases 1.0.0, then 1.1.0 through a fault-injecting
// proxy in front of the real registry (and, in kill/, in a child process
// killed at a hold), checks that no tag points at anything incomplete,
// reruns the release without faults and checks the exact final state.
func TestFaultsRegistry(t *testing.T) {
	reg := testenv.Registry(t)
	var injected, delayed, survived, partial int
	for _, sc := range faultScenarios() {
		t.Run("proxy/"+sc.name, func(t *testing.T) {
			f := newFaultRelease(t, reg, sc.name)
			p, err := faultproxy.New("http://" + reg)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.Add(sc.rules...)

			start := time.Now()
			res, err := f.publish(t, f.via(p))
			took := time.Since(start)
			p.Clear()
			n := p.Injected()
			if sc.delayOnly {
				delayed += n
			} else {
				injected += n
			}
			t.Logf("%d faults, %v, error: %v", n, took.Round(time.Millisecond), err)
			switch {
			case sc.ok && err != nil:
				t.Errorf("Publish through %s failed: %v; want retries to absorb it", sc.name, err)
			case sc.ok && (res.AlreadyReleased || !slices.Equal(res.Moved, []string{"v1.1", "v1", "latest"})):
				t.Errorf("Publish: AlreadyReleased %v, moved %v; want a fresh release moving v1.1, v1, latest", res.AlreadyReleased, res.Moved)
			case !sc.ok && err == nil:
				t.Errorf("Publish through %s succeeded; want it to fail", sc.name)
			case !sc.ok:
				if msg := sc.check(err); msg != "" {
					t.Errorf("error %q: %s", err, msg)
				}
			}
			if n < sc.minFaults || (sc.maxFaults > 0 && n > sc.maxFaults) {
				t.Errorf("%d faults injected, want %d to %d", n, sc.minFaults, sc.maxFaults)
			}
			if took < sc.minTook {
				t.Errorf("Publish took %v, want at least %v", took, sc.minTook)
			}

			bad, versionTag := f.checkState(t)
			partial += bad
			if f.rerun(t, sc.ok, versionTag, &partial) {
				survived++
			}
		})
	}
	for _, kp := range killPoints() {
		t.Run("kill/"+kp.name, func(t *testing.T) {
			n, ok := runKill(t, reg, kp, &partial)
			injected += n
			if ok {
				survived++
			}
		})
	}
	scenarios := len(faultScenarios()) + len(killPoints())
	testenv.Summary(t, "faults", "%d faults injected (error statuses, resets, kills) and %d requests only delayed; %d of %d scenarios survived, %d partial tags (%d of them killed publishes; survived = exact final state after the rerun)",
		injected, delayed, survived, scenarios, partial, len(killPoints()))
	if survived != scenarios {
		t.Errorf("%d of %d fault scenarios did not end in the exact final state", scenarios-survived, scenarios)
	}
	if partial > 0 {
		t.Errorf("%d tags pointed at incomplete images or records", partial)
	}
}

// TestFaultsCheckSeesPartialImages: the suite's completeness check reports
// every tag whose image has a blob the registry cannot serve, and no other.
func TestFaultsCheckSeesPartialImages(t *testing.T) {
	var missing atomic.Value // a blob path the registry pretends not to have
	missing.Store("")
	repo := newRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if m := missing.Load().(string); m != "" && strings.HasSuffix(r.URL.Path, m) {
				http.Error(w, `{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}`, http.StatusNotFound)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	reg, path, _ := strings.Cut(repo, "/")
	f := &faultRelease{reg: reg, path: path}
	mustPublish(t, repo, testImage(t, 1), "1.0.0", testOptions())
	img := testImage(t, 2)
	mustPublish(t, repo, img, "1.1.0", testOptions())
	tags := testenv.Tags(t, repo)
	if bad := f.incomplete(tags); len(bad) != 0 {
		t.Fatalf("complete releases reported incomplete: %v", bad)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, err := layers[1].Digest()
	if err != nil {
		t.Fatal(err)
	}
	missing.Store("/blobs/" + d.String())
	bad := f.incomplete(tags)
	var got []string
	for _, b := range bad {
		got = append(got, strings.Fields(b)[0])
	}
	if want := []string{"latest", "v1", "v1.1", "v1.1.0"}; !slices.Equal(got, want) {
		t.Errorf("incomplete tags = %v, want %v; report:\n%s", got, want, strings.Join(bad, "\n"))
	}
}
