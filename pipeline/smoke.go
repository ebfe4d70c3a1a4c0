package pipeline

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"dagger.io/dagger"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

//go:embed probe.js
var probeScript string

// Smoke test defaults.
const (
	// DefaultSmokeTimeout is how long the app has to open its port and
	// answer the probes when SmokeOptions.Timeout is 0.
	DefaultSmokeTimeout = 30 * time.Second
	// DefaultSmokeUptime is how long the app must keep running when
	// SmokeOptions.Uptime is 0: after the probes passed (a service) or
	// after start (a worker).
	DefaultSmokeUptime = 3 * time.Second
	// SmokeLogLines is how many of the app's last stdout and stderr lines a
	// failed smoke test shows.
	SmokeLogLines = 40
)

// smokeDir is where the probe and its configuration are mounted in the
// image under test (mounts, not layers: the image is unchanged).
const smokeDir = "/.immutable-smoke"

// resultMarker starts the probe's result line on its stdout.
const resultMarker = "IMMUTABLE-SMOKE-RESULT "

// SmokeOptions say how the smoke test judges the app. The zero value is the
// default contract: a service must open its port within
// DefaultSmokeTimeout, answer GET / with any status below 500 and still run
// DefaultSmokeUptime later; a worker (BuildOptions.Worker) must run for
// DefaultSmokeUptime. None of this reaches the image.
type SmokeOptions struct {
	// Probes replace the default GET / probe (so does VersionPath): each
	// path must answer its status (any status below 500 when Status is 0),
	// retried until Timeout while the app starts. Parse them with
	// ParseProbe ("/healthz=200").
	Probes []Probe
	// VersionPath, when set, is a path whose JSON body must have "version"
	// equal to the version being built (e.g. "/version").
	VersionPath string
	// Env are KEY=VALUE variables set for the smoke run only, e.g. a
	// database URL the app needs to start. They are not written to the
	// image, but they are not secrets either: they show in logs.
	Env []string
	// Timeout bounds the start: the port must open and every probe pass
	// within it. The default (0) is DefaultSmokeTimeout.
	Timeout time.Duration
	// Uptime is how long the app must keep running after the probes passed
	// (a service) or after start (a worker). The default (0) is
	// DefaultSmokeUptime.
	Uptime time.Duration
	// Skip skips the smoke test: the gate says "skipped", in the report
	// and in the release record. Only ever explicit (--skip-smoke).
	Skip bool
}

// Probe is one HTTP GET of the smoke test.
type Probe struct {
	// Path is the request path, starting with "/".
	Path string `json:"path"`
	// Status is the status the path must answer; 0 accepts any below 500.
	Status int `json:"status,omitempty"`
	// Version, when set, must be the "version" field of the JSON body.
	Version string `json:"version,omitempty"`
}

// ParseProbe parses "PATH" or "PATH=STATUS", e.g. "/healthz=200".
func ParseProbe(s string) (Probe, error) {
	path, status, hasStatus := strings.Cut(s, "=")
	p := Probe{Path: path}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\n") {
		return p, fmt.Errorf("probe %q: the path must start with / and have no spaces, e.g. /healthz=200", s)
	}
	if hasStatus {
		n, err := strconv.Atoi(status)
		if err != nil || n < 100 || n > 599 {
			return p, fmt.Errorf("probe %q: status %q is not an HTTP status (100-599), e.g. /healthz=200", s, status)
		}
		p.Status = n
	}
	return p, nil
}

// ParseProbes parses each of specs with ParseProbe.
func ParseProbes(specs []string) ([]Probe, error) {
	var out []Probe
	for _, s := range specs {
		p, err := ParseProbe(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// withDefaults fills in the defaults and checks the options.
func (o SmokeOptions) withDefaults() (SmokeOptions, error) {
	if o.Timeout < 0 || o.Uptime < 0 {
		return o, fmt.Errorf("smoke: negative --smoke-timeout %s or --smoke-uptime %s", o.Timeout, o.Uptime)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultSmokeTimeout
	}
	if o.Uptime == 0 {
		o.Uptime = DefaultSmokeUptime
	}
	for _, p := range o.Probes {
		if _, err := ParseProbe(p.Path); err != nil {
			return o, fmt.Errorf("smoke: %w", err)
		}
	}
	if o.VersionPath != "" && !strings.HasPrefix(o.VersionPath, "/") {
		return o, fmt.Errorf("smoke: --version-path %q must start with /, e.g. /version", o.VersionPath)
	}
	if _, err := parseEnv("--smoke-env", o.Env); err != nil {
		return o, fmt.Errorf("smoke: %w", err)
	}
	return o, nil
}

// probeConfig is what probe.js reads.
type probeConfig struct {
	Command   []string          `json:"command"`
	Port      int               `json:"port"`
	Probes    []Probe           `json:"probes"`
	Env       map[string]string `json:"env"`
	TimeoutMs int64             `json:"timeoutMs"`
	UptimeMs  int64             `json:"uptimeMs"`
	TailLines int               `json:"tailLines"`
	// Nonce makes every run a new exec: a cached pass proves nothing now.
	Nonce string `json:"nonce"`
}

// newProbeConfig is the probe's configuration for an image whose config is
// cf: the command is the image's entrypoint and cmd, exactly as published;
// port 0 is a worker.
func newProbeConfig(cf *v1.ConfigFile, port int, version string, o SmokeOptions) (probeConfig, error) {
	o, err := o.withDefaults()
	if err != nil {
		return probeConfig{}, err
	}
	cmd := command(cf)
	if len(cmd) == 0 {
		return probeConfig{}, fmt.Errorf("smoke: the image has no entrypoint or cmd to run")
	}
	env, _ := parseEnv("--smoke-env", o.Env)
	probes := o.Probes
	if len(probes) == 0 && o.VersionPath == "" {
		probes = []Probe{{Path: "/"}}
	}
	if o.VersionPath != "" {
		probes = append(append([]Probe{}, probes...), Probe{Path: o.VersionPath, Status: 200, Version: version})
	}
	return probeConfig{
		Command:   cmd,
		Port:      port,
		Probes:    probes,
		Env:       env.Map(),
		TimeoutMs: o.Timeout.Milliseconds(),
		UptimeMs:  o.Uptime.Milliseconds(),
		TailLines: SmokeLogLines,
		Nonce:     strconv.FormatInt(time.Now().UnixNano(), 36),
	}, nil
}

// smokeResult is the probe's verdict (its last stdout line).
type smokeResult struct {
	OK    bool     `json:"ok"`
	Error string   `json:"error"`
	Steps []string `json:"steps"`
	// Exit is how the app ended ("exit code 1", "signal SIGKILL"), "" when
	// it was still running at the end of the test.
	Exit string `json:"exit"`
	// Log is the app's last stdout and stderr lines, interleaved as they
	// came; Dropped counts the earlier ones.
	Log     []string `json:"log"`
	Dropped int      `json:"dropped"`
	// UID, GID, Cwd and Env are what the app was started with.
	UID int      `json:"uid"`
	GID int      `json:"gid"`
	Cwd string   `json:"cwd"`
	Env []string `json:"env"`
}

// parseSmokeResult finds the result line in the probe's stdout.
func parseSmokeResult(stdout string) (*smokeResult, error) {
	i := strings.LastIndex(stdout, resultMarker)
	if i < 0 {
		return nil, fmt.Errorf("the smoke probe printed no result")
	}
	line, _, _ := strings.Cut(stdout[i+len(resultMarker):], "\n")
	var r smokeResult
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		return nil, fmt.Errorf("the smoke probe's result: %w", err)
	}
	return &r, nil
}

// asPublished checks the app ran as the image config says: user, workdir
// and every environment variable. A mismatch means the smoke test did not
// test the published image.
func (r *smokeResult) asPublished(cf *v1.ConfigFile) error {
	var wrong []string
	if u := cf.Config.User; u != "" {
		uid, gid, _ := strings.Cut(u, ":")
		if uid != strconv.Itoa(r.UID) || (gid != "" && gid != strconv.Itoa(r.GID)) {
			wrong = append(wrong, fmt.Sprintf("ran as %d:%d, the image says user %s", r.UID, r.GID, u))
		}
	}
	if w := cf.Config.WorkingDir; w != "" && w != r.Cwd {
		wrong = append(wrong, fmt.Sprintf("ran in %s, the image says %s", r.Cwd, w))
	}
	seen := map[string]bool{}
	for _, kv := range r.Env {
		seen[kv] = true
	}
	for _, kv := range cf.Config.Env {
		if !seen[kv] {
			k, _, _ := strings.Cut(kv, "=")
			wrong = append(wrong, "ran without the image's "+k)
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("smoke: the app did not run as published: %s", strings.Join(wrong, "; "))
	}
	return nil
}

// Err is nil when the app passed, else an error whose first line says
// why and whose next lines show what the probe saw and the app's last
// output.
func (r *smokeResult) Err() error {
	if r.OK {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "smoke: %s\n", r.Error)
	if len(r.Steps) > 0 {
		b.WriteString("the probe saw:\n")
		for _, s := range r.Steps {
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	state := "still running when the test ended"
	if r.Exit != "" {
		state = "ended with " + r.Exit
	}
	switch {
	case len(r.Log) == 0:
		fmt.Fprintf(&b, "the app (%s) wrote nothing to stdout or stderr", state)
	case r.Dropped > 0:
		fmt.Fprintf(&b, "the app's output (%s), last %d of %d lines:\n", state, len(r.Log), len(r.Log)+r.Dropped)
	default:
		fmt.Fprintf(&b, "the app's output (%s):\n", state)
	}
	for _, l := range collapse(r.Log) {
		fmt.Fprintf(&b, "  | %s\n", l)
	}
	return fmt.Errorf("%s", strings.TrimRight(b.String(), "\n"))
}

// collapse folds runs of identical lines (an error logged on every retried
// request) into one line with a count.
func collapse(lines []string) []string {
	var out []string
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && lines[j] == lines[i] {
			j++
		}
		if n := j - i; n > 2 {
			out = append(out, fmt.Sprintf("%s  [%d times]", lines[i], n))
		} else {
			out = append(out, lines[i:j]...)
		}
		i = j
	}
	return out
}

// Smoke runs the smoke test of img, b's image (see smoke).
func Smoke(ctx context.Context, c *dagger.Client, b *Build, img *Image) error {
	return smoke(ctx, c, b, ready(img))
}

// smoke runs the app as published and judges it by b.Options.Smoke (see
// SmokeOptions): a probe started with the image's own node, user,
// environment and working directory runs the image's entrypoint and cmd as
// a child, so the app's output is at hand when it fails. A service is
// probed over HTTP on its port at the container's own address; a worker
// (b.Options.Worker) is watched for its uptime. The error's first line
// says why it failed, the next lines what the probe saw and the app's last
// SmokeLogLines lines of output.
//
// It starts at once, in the native container Dagger built (no export or
// import to wait for), then checks that run against the normalized image
// once image returns it: the same command, and the app saw the config's
// user, working directory and every variable. When normalization changed
// the files (img.Dropped: noise it removed), that run did not test the
// published files, so the published image itself is loaded and run again.
func smoke(ctx context.Context, c *dagger.Client, b *Build, image imageFunc) error {
	built := b.Platforms[0].Runtime
	entrypoint, err := built.Entrypoint(ctx)
	if err != nil {
		return fmt.Errorf("smoke: reading the entrypoint: %w", err)
	}
	args, err := built.DefaultArgs(ctx)
	if err != nil {
		return fmt.Errorf("smoke: reading the default arguments: %w", err)
	}
	ran := &v1.ConfigFile{Config: v1.Config{Entrypoint: entrypoint, Cmd: args}}
	res, err := probeIn(ctx, c, b, built, ran)
	if err != nil {
		return err
	}
	img, err := image(ctx)
	if err != nil {
		return fmt.Errorf("smoke: no image to compare the run with: %w", err)
	}
	cf, err := img.Image.ConfigFile()
	if err != nil {
		return fmt.Errorf("smoke: reading the image config: %w", err)
	}
	if len(img.Dropped) > 0 || !slices.Equal(command(ran), command(cf)) {
		if res, err = probeIn(ctx, c, b, img.Container(c), cf); err != nil {
			return err
		}
	}
	if err := res.Err(); err != nil {
		return withExcludeHint(err, b)
	}
	return res.asPublished(cf)
}

// withExcludeHint adds to a smoke failure the exclude pattern that kept
// the entrypoint out of the image, when one did: e.g. "dist" in a
// .dockerignore written for a Docker build, where it filters the build's
// input, while here it filters the app files after the build step.
func withExcludeHint(err error, b *Build) error {
	if b.App == nil || strings.HasPrefix(b.App.Entrypoint, "node_modules/") {
		return err // a dependency's file: the dependency layer, not the app files
	}
	p := excludedBy(b.Excludes, b.App.Entrypoint)
	if p == "" {
		return err
	}
	return fmt.Errorf("%w\nhint: the entrypoint %s is not in the image: the exclude pattern %q removes it (.dockerignore and the default excludes filter the app files the build step leaves, not its input as in a Docker build: see the README's \"Build step\"): remove the pattern, or re-include the file with \"!%s\"",
		err, b.App.Entrypoint, p, b.App.Entrypoint)
}

// command is what an image config runs: its entrypoint, then its cmd.
func command(cf *v1.ConfigFile) []string {
	return append(append([]string{}, cf.Config.Entrypoint...), cf.Config.Cmd...)
}

// probeIn runs the probe in ctr, whose config (the command) is cf, and
// returns its verdict.
func probeIn(ctx context.Context, c *dagger.Client, b *Build, ctr *dagger.Container, cf *v1.ConfigFile) (*smokeResult, error) {
	port := b.Options.Port
	if b.Options.Worker {
		port = 0
	}
	cfg, err := newProbeConfig(cf, port, b.Options.Version, b.Options.Smoke)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	files := c.Directory().
		WithNewFile("probe.js", probeScript).
		WithNewFile("config.json", string(raw))
	// The probe's own deadlines end it; this only bounds a hung engine.
	ctx, cancel := context.WithTimeout(ctx, time.Duration(cfg.TimeoutMs+cfg.UptimeMs)*time.Millisecond+2*time.Minute)
	defer cancel()
	run := ctr.
		WithMountedFile(smokeDir+"/probe.js", files.File("probe.js")).
		WithMountedFile(smokeDir+"/config.json", files.File("config.json")).
		WithExec([]string{"node", smokeDir + "/probe.js", smokeDir + "/config.json"},
			dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	stdout, err := run.Stdout(ctx)
	if err != nil {
		return nil, fmt.Errorf("smoke: running the probe: %s", failureDetail(err))
	}
	res, err := parseSmokeResult(stdout)
	if err != nil {
		stderr, _ := run.Stderr(ctx)
		return nil, fmt.Errorf("smoke: %w (does the image have node on its PATH?):\n%s", err, tail(strings.TrimSpace(stdout+"\n"+stderr), 25))
	}
	return res, nil
}
