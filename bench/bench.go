// Package bench measures the pipeline against baselines taken in the same
// run, on the same engine, and reports ratios (`go run ./ci bench`):
//
//   - verify (two independent builds) vs one cold build — target ≤ 1.5×;
//   - warm rebuild + full test stage after a one-line app.js change vs the
//     seed Dockerfile's warm rebuild alone (Directory.DockerBuild, FROM the
//     same pinned builder base) — target ≤ 1.0×;
//   - the parallel test stage's wall time vs its slowest job — target ≤ 1.25×;
//   - runtime image size vs the seed Dockerfile's image — target ≤ 0.6×.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"dagger.io/dagger"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"dagger/immutable/pipeline"
	"dagger/immutable/repro"
)

// Row is one measured ratio.
type Row struct {
	Name            string
	Value, Baseline float64
	Unit            string
	Target          float64
}

// Ratio is Value / Baseline.
func (r Row) Ratio() float64 { return r.Value / r.Baseline }

// Run measures every row. o describes the fixture; its Source is replaced
// by copies under workDir, which Run edits.
func Run(ctx context.Context, c *dagger.Client, o pipeline.BuildOptions, srcDir, workDir string) ([]Row, error) {
	var rows []Row
	dir, err := copyDir(srcDir, filepath.Join(workDir, "src"))
	if err != nil {
		return nil, err
	}
	o.Source = c.Host().Directory(dir, dagger.HostDirectoryOpts{NoCache: true})

	// One cold build (every step re-run; bases are pinned and stay cached)
	// against verify, whose two builds are both cold here.
	cold := o
	cold.CacheBust = fmt.Sprint("cold-", time.Now().UnixNano())
	t0 := time.Now()
	if _, _, err := pipeline.BuildImage(ctx, c, cold, workDir); err != nil {
		return nil, err
	}
	coldBuild := time.Since(t0)
	ver := o
	ver.CacheBust = fmt.Sprint("verify-", time.Now().UnixNano())
	vr, err := pipeline.Verify(ctx, c, ver, workDir, nil)
	if err != nil {
		return nil, err
	}
	if err := vr.Err(); err != nil {
		return nil, err
	}
	rows = append(rows, Row{"verify vs one cold build", vr.Wall.Seconds(), coldBuild.Seconds(), "s", 1.5})

	// Warm both pipelines, change one line of app.js, rebuild.
	seed := func() (*dagger.Container, error) {
		ctr := c.Host().Directory(dir, dagger.HostDirectoryOpts{NoCache: true}).DockerBuild(dagger.DirectoryDockerBuildOpts{
			BuildArgs: []dagger.BuildArg{
				{Name: "BASE", Value: o.BuilderBase},
				{Name: "NODE_EXTRA_CA_CERTS", Value: "/etc/ssl/certs/ca-certificates.crt"},
			},
		})
		_, err := ctr.Sync(ctx)
		return ctr, err
	}
	ours := func() (*pipeline.TestReport, *pipeline.Image, error) {
		_, img, r, err := pipeline.BuildAndTest(ctx, c, o, workDir)
		if err != nil {
			return nil, nil, err
		}
		return r, img, r.Err()
	}
	if _, err := seed(); err != nil {
		return nil, fmt.Errorf("seed Dockerfile: %w", err)
	}
	if _, _, err := ours(); err != nil {
		return nil, err
	}
	if err := touchApp(dir); err != nil {
		return nil, err
	}
	o.Source = c.Host().Directory(dir, dagger.HostDirectoryOpts{NoCache: true})
	t1 := time.Now()
	seedCtr, err := seed()
	if err != nil {
		return nil, fmt.Errorf("seed Dockerfile: %w", err)
	}
	seedWarm := time.Since(t1)
	t2 := time.Now()
	report, img, err := ours()
	if err != nil {
		return nil, err
	}
	oursWarm := time.Since(t2)
	rows = append(rows,
		Row{"warm rebuild+tests vs seed rebuild", oursWarm.Seconds(), seedWarm.Seconds(), "s", 1.0},
		Row{"test stage wall vs slowest job", report.Wall.Seconds(), report.Slowest().Seconds(), "s", 1.25},
	)

	seedPath := filepath.Join(workDir, "seed.tar")
	if _, err := seedCtr.AsTarball(dagger.ContainerAsTarballOpts{ForcedCompression: dagger.ImageLayerCompressionGzip}).Export(ctx, seedPath); err != nil {
		return nil, err
	}
	seedImg, err := repro.LoadTarball(seedPath)
	if err != nil {
		return nil, err
	}
	oursSize, err := imageSize(img.Image)
	if err != nil {
		return nil, err
	}
	seedSize, err := imageSize(seedImg)
	if err != nil {
		return nil, err
	}
	rows = append(rows, Row{"image size vs seed image", float64(oursSize) / 1e6, float64(seedSize) / 1e6, "MB", 0.6})
	return rows, nil
}

// Format prints the table.
func Format(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BENCHMARK\tVALUE\tBASELINE\tRATIO\tTARGET\t")
	for _, r := range rows {
		verdict := "ok"
		if r.Ratio() > r.Target {
			verdict = "MISSED"
		}
		fmt.Fprintf(tw, "%s\t%.2f%s\t%.2f%s\t%.2fx\t<= %.2fx %s\t\n", r.Name, r.Value, r.Unit, r.Baseline, r.Unit, r.Ratio(), r.Target, verdict)
	}
	tw.Flush()
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
