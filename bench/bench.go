// Package bench measures the pipeline against baselines taken in the same
// runs, on the same engine, and checks the targets (`go run ./ci bench`).
// Every benchmark runs Options.Runs times (default 5), alternating which
// side goes first, and reports the min and median of each side; targets
// apply to the ratio of medians:
//
//   - verify (two independent builds) vs one cold build — target ≤ 1.5×;
//   - warm rebuild + full test stage after a one-line app.js change vs the
//     seed Dockerfile's warm rebuild alone (Directory.DockerBuild) —
//     target ≤ 1.0×;
//   - the concurrent test stage (on a ready image) vs its slowest job run
//     alone — target ≤ 1.25×; the sum of all jobs run one by one is
//     printed beside it;
//   - runtime image size vs the seed Dockerfile's image — target ≤ 0.6×;
//   - an unchanged re-release through each door (Options.Doors), absolute
//     targets (≤ 2 s for `go run ./ci release`, ≤ 5 s for `dagger call
//     release`).
//
// The seed Dockerfile's base is the project's node-builder (Debian
// bookworm, Node.js 24, npm, and python3, make and g++ for native addons),
// the only Debian + Node + npm image the project provisions: it is larger
// than node:24-bookworm-slim, which has no compiler, so the size ratio
// flatters us by that difference.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"dagger.io/dagger"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"dagger/immutable/pipeline"
	"dagger/immutable/repro"
)

// DefaultRuns is how many times each benchmark runs by default.
const DefaultRuns = 5

// Options configure Run.
type Options struct {
	// Runs is how many times each benchmark runs (default DefaultRuns).
	Runs int
	// Doors are the unchanged re-release benchmarks, one per door.
	Doors []Door
	// Log receives a line per measurement. The default (nil) is silent.
	Log io.Writer
	// Only names the groups to run: "verify", "warm-rebuild" (with the
	// size figure), "test-stage", "doors". The default (nil) runs all.
	Only []string
}

// Door times an unchanged re-release through one door, e.g. `go run ./ci
// release` as a subprocess.
type Door struct {
	// Key and Name name the figure; Target is the highest acceptable
	// median, in seconds.
	Key, Name string
	Target    float64
	// Release runs the release once and returns its output. Run calls it
	// once untimed (the first release, which runs the gates), then Runs
	// times, timed; each of those must say "gates not run again".
	Release func(ctx context.Context) (string, error)
}

func (o Options) runs() int {
	if o.Runs <= 0 {
		return DefaultRuns
	}
	return o.Runs
}

func (o Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, "==> bench: "+format+"\n", args...)
	}
}

// Run measures every figure. o describes the fixture; its Source is
// replaced by a copy of srcDir under workDir, which Run edits.
func Run(ctx context.Context, c *dagger.Client, o pipeline.BuildOptions, srcDir, workDir string, opts Options) ([]Figure, error) {
	dir, err := copyDir(srcDir, filepath.Join(workDir, "src"))
	if err != nil {
		return nil, err
	}
	b := &bencher{ctx: ctx, c: c, o: o, dir: dir, workDir: workDir, opts: opts}
	b.o.Source = b.source()
	// Resolve the default bases once, as a build does: the seed Dockerfile
	// needs the builder by digest.
	first, err := pipeline.BuildApp(ctx, c, b.o)
	if err != nil {
		return nil, err
	}
	b.o.RuntimeBase, b.o.BuilderBase = first.Options.RuntimeBase, first.Options.BuilderBase
	var figs []Figure
	steps := []struct {
		group string
		run   func() ([]Figure, error)
	}{{"verify", b.verify}, {"warm-rebuild", b.warmRebuild}, {"test-stage", b.testStage}, {"doors", b.doors}}
	for _, step := range steps {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, step.group) {
			continue
		}
		f, err := step.run()
		if err != nil {
			return figs, err
		}
		figs = append(figs, f...)
	}
	return figs, nil
}

type bencher struct {
	ctx          context.Context
	c            *dagger.Client
	o            pipeline.BuildOptions
	dir, workDir string
	opts         Options
}

func (b *bencher) source() *dagger.Directory {
	return b.c.Host().Directory(b.dir, dagger.HostDirectoryOpts{NoCache: true})
}

// alternate runs ours then baseline on even runs, baseline then ours on
// odd ones, so that neither side always runs second (on a warmer machine).
func alternate(i int, ours, baseline func() error) error {
	first, second := ours, baseline
	if i%2 == 1 {
		first, second = baseline, ours
	}
	if err := first(); err != nil {
		return err
	}
	return second()
}

func timed(s *Sample, f func() error) func() error {
	return func() error {
		t0 := time.Now()
		if err := f(); err != nil {
			return err
		}
		*s = append(*s, time.Since(t0).Seconds())
		return nil
	}
}

func nonce(what string) string { return fmt.Sprintf("%s-%d", what, time.Now().UnixNano()) }

// verify: two independent builds (both cold) vs one cold build; the bases
// are pinned and stay cached.
func (b *bencher) verify() ([]Figure, error) {
	f := Figure{Key: "verify", Name: "verify vs one cold build", Unit: "s", Target: 1.5}
	for i := 0; i < b.opts.runs(); i++ {
		cold := func() error {
			o := b.o
			o.CacheBust = nonce("cold")
			_, _, err := pipeline.BuildImage(b.ctx, b.c, o, b.workDir)
			return err
		}
		ver := func() error {
			o := b.o
			o.CacheBust = nonce("verify")
			r, err := pipeline.Verify(b.ctx, b.c, o, b.workDir, nil)
			if err != nil {
				return err
			}
			return r.Err()
		}
		if err := alternate(i, timed(&f.Ours, ver), timed(&f.Baseline, cold)); err != nil {
			return nil, fmt.Errorf("bench verify: %w", err)
		}
		b.opts.logf("verify run %d: %.2fs, cold build %.2fs", i+1, f.Ours[i], f.Baseline[i])
	}
	return []Figure{f}, nil
}

// warmRebuild: after a one-line app.js change, our build + full test stage
// vs the seed Dockerfile's rebuild alone; and the image sizes.
func (b *bencher) warmRebuild() ([]Figure, error) {
	f := Figure{Key: "warm-rebuild", Name: "warm rebuild+tests vs seed rebuild", Unit: "s", Target: 1.0}
	size := Figure{Key: "size", Name: "image size vs seed image", Unit: "MB", Target: 0.6,
		Notes: []string{"size baseline: the seed Dockerfile FROM the project's node-builder (Debian bookworm + Node 24 + npm + python3/make/g++), not node:24-bookworm-slim; exported once (its digest is the same every run)"}}
	var seedCtr *dagger.Container
	seed := func() error {
		ctr := b.source().DockerBuild(dagger.DirectoryDockerBuildOpts{
			BuildArgs: []dagger.BuildArg{
				{Name: "BASE", Value: b.o.BuilderBase},
				{Name: "NODE_EXTRA_CA_CERTS", Value: "/etc/ssl/certs/ca-certificates.crt"},
			},
		})
		_, err := ctr.Sync(b.ctx)
		if err != nil {
			return fmt.Errorf("seed Dockerfile: %w", err)
		}
		seedCtr = ctr
		return nil
	}
	ours := func() error {
		o := b.o
		o.Source = b.source()
		_, img, r, err := pipeline.BuildAndTest(b.ctx, b.c, o, b.workDir)
		if err != nil {
			return err
		}
		if err := r.Err(); err != nil {
			return err
		}
		n, err := imageSize(img.Image)
		size.Ours = append(size.Ours, float64(n)/1e6)
		return err
	}
	// Warm both, untimed.
	if err := seed(); err != nil {
		return nil, err
	}
	if err := ours(); err != nil {
		return nil, err
	}
	size.Ours = nil
	for i := 0; i < b.opts.runs(); i++ {
		if err := touchApp(b.dir); err != nil {
			return nil, err
		}
		if err := alternate(i, timed(&f.Ours, ours), timed(&f.Baseline, seed)); err != nil {
			return nil, fmt.Errorf("bench warm rebuild: %w", err)
		}
		b.opts.logf("warm rebuild run %d: ours %.2fs, seed %.2fs", i+1, f.Ours[i], f.Baseline[i])
	}
	seedPath := filepath.Join(b.workDir, "seed.tar")
	if _, err := seedCtr.AsTarball(dagger.ContainerAsTarballOpts{ForcedCompression: dagger.ImageLayerCompressionGzip}).Export(b.ctx, seedPath); err != nil {
		return nil, err
	}
	seedImg, err := repro.LoadTarball(seedPath)
	if err != nil {
		return nil, err
	}
	n, err := imageSize(seedImg)
	if err != nil {
		return nil, err
	}
	size.Baseline = Sample{float64(n) / 1e6}
	return []Figure{f, size}, nil
}

// testStage: the concurrent test stage on a ready image vs its slowest job
// run alone, and the sum of all jobs run one by one. Each run builds a new
// image (untimed), and each side runs in a dev container of its own, so
// that no job is answered from the cache.
func (b *bencher) testStage() ([]Figure, error) {
	f := Figure{Key: "test-stage", Name: "test stage vs slowest job alone", Unit: "s", Target: 1.25}
	var sum Sample
	for i := 0; i < b.opts.runs(); i++ {
		if err := touchApp(b.dir); err != nil {
			return nil, err
		}
		o := b.o
		o.Source = b.source()
		build, img, err := pipeline.BuildImage(b.ctx, b.c, o, b.workDir)
		if err != nil {
			return nil, err
		}
		fresh := func() *pipeline.Build {
			nb := *build
			nb.Dev = build.Dev.WithEnvVariable("IMMUTABLE_BENCH_RUN", nonce("job"))
			return &nb
		}
		stage := func() error {
			r := pipeline.Test(b.ctx, b.c, fresh(), img)
			if err := r.Err(); err != nil {
				return err
			}
			f.Ours = append(f.Ours, r.Wall.Seconds())
			return nil
		}
		var alone []string
		oneByOne := func() error {
			nb := fresh()
			var slowest, total time.Duration
			for _, name := range pipeline.TestJobNames {
				t0 := time.Now()
				jr, err := pipeline.TestJob(b.ctx, b.c, nb, img, name)
				if err != nil {
					return err
				}
				if jr.Status == pipeline.Failed {
					return fmt.Errorf("job %s failed alone: %s", name, jr.Detail)
				}
				d := time.Since(t0)
				slowest, total = max(slowest, d), total+d
				alone = append(alone, fmt.Sprintf("%s %.2fs", name, d.Seconds()))
			}
			f.Baseline = append(f.Baseline, slowest.Seconds())
			sum = append(sum, total.Seconds())
			return nil
		}
		if err := alternate(i, stage, oneByOne); err != nil {
			return nil, fmt.Errorf("bench test stage: %w", err)
		}
		b.opts.logf("test stage run %d: concurrent %.2fs; alone: %s", i+1, f.Ours[i], strings.Join(alone, ", "))
	}
	f.Notes = append(f.Notes, fmt.Sprintf("test stage: all jobs run one by one take %.2fs min, %.2fs median; the concurrent stage is %.2fx that",
		sum.Min(), sum.Median(), f.Ours.Median()/sum.Median()))
	return []Figure{f}, nil
}

// doors: an unchanged re-release through each door.
func (b *bencher) doors() ([]Figure, error) {
	var figs []Figure
	for _, d := range b.opts.Doors {
		f := Figure{Key: d.Key, Name: d.Name, Unit: "s", Target: d.Target}
		t0 := time.Now()
		if _, err := d.Release(b.ctx); err != nil {
			return nil, fmt.Errorf("bench %s: first release: %w", d.Key, err)
		}
		b.opts.logf("%s: first release (gates run) %.2fs", d.Key, time.Since(t0).Seconds())
		for i := 0; i < b.opts.runs(); i++ {
			t0 := time.Now()
			out, err := d.Release(b.ctx)
			if err != nil {
				return nil, fmt.Errorf("bench %s: %w", d.Key, err)
			}
			f.Ours = append(f.Ours, time.Since(t0).Seconds())
			if !strings.Contains(out, "gates not run again") {
				return nil, fmt.Errorf("bench %s: the unchanged re-release ran the gates:\n%s", d.Key, out)
			}
			b.opts.logf("%s run %d: %.2fs", d.Key, i+1, f.Ours[i])
		}
		figs = append(figs, f)
	}
	return figs, nil
}

// Format prints the figures, their notes and which targets are met or
// missed.
func Format(w io.Writer, figs []Figure) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BENCHMARK\tRUNS\tOURS min / median\tBASELINE min / median\tVALUE\tTARGET")
	for _, f := range figs {
		base, value, target := "-", fmt.Sprintf("%.2f%s", f.Value(), f.Unit), fmt.Sprintf("<= %.2f%s", f.Target, f.Unit)
		if f.Relative() {
			base = fmt.Sprintf("%.2f / %.2f %s", f.Baseline.Min(), f.Baseline.Median(), f.Unit)
			value, target = fmt.Sprintf("%.2fx", f.Value()), fmt.Sprintf("<= %.2fx", f.Target)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f / %.2f %s\t%s\t%s\t%s\n", f.Name, len(f.Ours), f.Ours.Min(), f.Ours.Median(), f.Unit, base, value, target)
	}
	tw.Flush()
	for _, f := range figs {
		for _, n := range f.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	met := 0
	for _, f := range figs {
		if f.Met() {
			met++
		}
	}
	fmt.Fprintf(w, "targets: %d of %d met\n", met, len(figs))
	for _, f := range figs {
		fmt.Fprintf(w, "  %-36s %s\n", f.Name, f.Verdict())
	}
}

// imageSize is the compressed size of an image: config plus layers.
func imageSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	total := m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, nil
}

// touchApp changes one line of app.js.
func touchApp(dir string) error {
	p := filepath.Join(dir, "app.js")
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	s := strings.Replace(string(b), "'use strict';", fmt.Sprintf("'use strict'; // edit %d", time.Now().UnixNano()), 1)
	return os.WriteFile(p, []byte(s), 0o644)
}

func copyDir(src, dst string) (string, error) {
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			if info.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	return dst, err
}
