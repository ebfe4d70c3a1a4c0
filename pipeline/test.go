package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"dagger.io/dagger"
	"golang.org/x/sync/errgroup"

	"dagger/immutable/checks"
)

// job is one test of the stage; it returns (skip reason, error). A job
// with needsImage starts once the normalized image is made (runJob waits,
// and reports the wait); the others start at once and may wait for it
// themselves, later, through image.
type job struct {
	name       string
	needsImage bool
	run        func(ctx context.Context, image imageFunc) (string, error)
}

// Test runs the test stage on a build and its normalized image: unit tests,
// lint, a smoke test of the image as a service and the image checks, all
// concurrently. Every job's result is reported even when others fail; the
// returned report's Err names the failures.
func Test(ctx context.Context, c *dagger.Client, b *Build, img *Image) *TestReport {
	return runTests(ctx, c, b, ready(img))
}

// BuildAndTest builds o and runs the test stage. Unit tests and lint need
// only the build, so they start while the image is still being exported
// and normalized; the smoke test and the image checks wait for it. When the
// image cannot be made, that is the error (the report still has every
// job's result).
func BuildAndTest(ctx context.Context, c *dagger.Client, o BuildOptions, workDir string) (*Build, *Image, *TestReport, error) {
	b, err := BuildApp(ctx, c, o)
	if err != nil {
		return nil, nil, nil, err
	}
	p := startImage(ctx, c, b, workDir)
	report := runTests(ctx, c, b, p.wait)
	img, err := p.wait(ctx)
	return b, img, report, err
}

// runTests runs the jobs concurrently; the ones that need the image get it
// from image, and their Waited says how long that took.
func runTests(ctx context.Context, c *dagger.Client, b *Build, image imageFunc) *TestReport {
	var findings []checks.Finding // written by the checks job only
	jobs := testJobs(c, b, &findings)
	report := &TestReport{Jobs: make([]JobResult, len(jobs))}
	start := time.Now()
	var g errgroup.Group
	for i, j := range jobs {
		g.Go(func() error {
			report.Jobs[i] = runJob(ctx, j, image)
			return nil
		})
	}
	_ = g.Wait()
	report.Wall = time.Since(start)
	report.Findings = findings
	return report
}

// testJobs are the test stage's jobs; the checks job writes its findings
// to *findings.
func testJobs(c *dagger.Client, b *Build, findings *[]checks.Finding) []job {
	jobs := []job{
		{"unit", false, func(ctx context.Context, _ imageFunc) (string, error) { return npmScript(ctx, b, "test") }},
		{"lint", false, func(ctx context.Context, _ imageFunc) (string, error) { return npmScript(ctx, b, "lint") }},
		// The smoke test starts the app in the container Dagger built as soon
		// as it is defined, and compares it with the image once that is made.
		{"smoke", false, func(ctx context.Context, image imageFunc) (string, error) { return smokeJob(ctx, c, b, image) }},
		{"checks", true, func(ctx context.Context, image imageFunc) (string, error) {
			img, err := image(ctx)
			if err != nil {
				return "", err
			}
			*findings, err = Checks(b, img)
			return "", err
		}},
	}
	// This machine runs only the native platform's images: the others'
	// smoke tests are reported as not run, never as passed.
	for _, p := range b.Platforms {
		if p.Platform == NativePlatform {
			continue
		}
		reason := "not run (no " + p.Platform + " runner)"
		jobs = append(jobs, job{"smoke " + p.Platform, false, func(context.Context, imageFunc) (string, error) { return reason, nil }})
	}
	return jobs
}

// TestJobNames are the test stage's jobs, in report order.
var TestJobNames = []string{"unit", "lint", "smoke", "checks"}

// TestJob runs one job of the test stage alone (name is one of
// TestJobNames), e.g. to compare the concurrent stage with its jobs run one
// by one.
func TestJob(ctx context.Context, c *dagger.Client, b *Build, img *Image, name string) (JobResult, error) {
	var findings []checks.Finding
	for _, j := range testJobs(c, b, &findings) {
		if j.name == name {
			return runJob(ctx, j, ready(img)), nil
		}
	}
	return JobResult{}, fmt.Errorf("no test job %q (want one of %v)", name, TestJobNames)
}

// runJob runs one job, first waiting for the image if it needs it.
func runJob(ctx context.Context, j job, image imageFunc) JobResult {
	res := JobResult{Name: j.name, Status: Passed}
	if j.needsImage {
		t0 := time.Now()
		img, err := image(ctx)
		res.Waited = time.Since(t0)
		if err != nil {
			res.Status, res.Detail = Failed, "no image to test: "+err.Error()
			return res
		}
		image = ready(img)
	}
	t0 := time.Now()
	res.Began = t0
	skip, err := j.run(ctx, image)
	res.Duration = time.Since(t0)
	switch {
	case err != nil:
		res.Status, res.Detail = Failed, failureDetail(err)
	case skip != "":
		res.Status, res.Detail = Skipped, skip
	}
	return res
}

// npmScript runs `<npm|yarn|pnpm> run <script>` (the app's package
// manager) in the dev container, or reports it skipped when package.json
// has no such script.
func npmScript(ctx context.Context, b *Build, script string) (string, error) {
	cmd, ok := b.App.Scripts[script]
	if !ok {
		return "no \"" + script + "\" script in package.json", nil
	}
	if script == "test" && isNpmInitTest(cmd) {
		return "the \"test\" script is npm init's placeholder (" + cmd + "): write tests, or delete it", nil
	}
	_, err := b.Dev.WithExec(scriptArgs(b.App.PackageManager.Kind, script)).Sync(ctx)
	return "", err
}

// smokeJob is the smoke job: smoke, or skipped when SmokeOptions.Skip.
func smokeJob(ctx context.Context, c *dagger.Client, b *Build, image imageFunc) (string, error) {
	if b.Options.Smoke.Skip {
		return "--skip-smoke given: the image was not started", nil
	}
	return "", smoke(ctx, c, b, image)
}

// Checks runs the image policy checks of package checks on the normalized
// image, with the findings the app's checks.AcceptFile accepts. It returns
// the findings that do not block (warnings, accepted, stale acceptances)
// and an error naming every failed rule.
//
// A multi-platform image is checked platform by platform; findings are
// reported once, errors name the platform.
func Checks(b *Build, img *Image) ([]checks.Finding, error) {
	var findings []checks.Finding
	seen := map[string]bool{}
	for _, pi := range img.PlatformImages() {
		fs, err := checkPlatformImage(b, pi)
		for _, f := range fs {
			if k := fmt.Sprintf("%+v", f); !seen[k] {
				seen[k] = true
				findings = append(findings, f)
			}
		}
		if err != nil && len(img.Variants) > 1 {
			err = fmt.Errorf("%s: %w", pi.Platform, err)
		}
		if err != nil {
			return findings, err
		}
	}
	return findings, nil
}

// checkPlatformImage runs the checks on one platform's image, against the
// digest of the base that platform was built on.
func checkPlatformImage(b *Build, img *Image) ([]checks.Finding, error) {
	dev := b.Deps.DevOnlyPaths()
	var baseDigest string
	for _, p := range b.Platforms {
		if p.Platform == img.Platform {
			baseDigest = p.BaseDigest
		}
	}
	results, err := checks.Run(img.Image, checks.Options{
		AppDir:          AppDir,
		DevDependencies: dev,
		BaseDigest:      baseDigest,
		Version:         b.Options.Version,
		Accept:          b.Accept,
	})
	var findings []checks.Finding
	for _, r := range results {
		findings = append(findings, r.Findings...)
	}
	if err != nil {
		return findings, err
	}
	for _, r := range results {
		if !r.Passed {
			return findings, errors.New(r.Name + ": " + r.Details)
		}
	}
	return findings, nil
}

// npmInitTest is the test script `npm init` writes, which always fails.
const npmInitTest = `echo "Error: no test specified" && exit 1`

// isNpmInitTest reports whether a test script is npm init's placeholder:
// it tests nothing, so the unit job is skipped (and says so) rather than
// failing every app started with `npm init -y`.
func isNpmInitTest(cmd string) bool {
	return strings.Join(strings.Fields(cmd), " ") == npmInitTest
}
