package provision

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrReused is returned by a Step's Run when it found its result already in
// place and did nothing. Up reports such a step as "reused".
var ErrReused = errors.New("reused")

// Step is one idempotent provisioning action.
type Step struct {
	// Name is printed as "==> Name: Doc" and used in errors ("up: Name: ...").
	Name string
	// Doc is a short description printed after the name; optional.
	Doc string
	// Run does the work; it returns ErrReused when there was nothing to do.
	Run func(ctx context.Context, cfg Config) error
}

// Result is what running one Step did.
type Result struct {
	Name     string
	Reused   bool
	Duration time.Duration
}

// Steps returns the full ordered list Up runs for cfg: the built-in steps,
// with cfg.BeforeEngine before the engine and cfg.AfterRegistry at the end.
func Steps(cfg Config) []Step {
	steps := []Step{
		{Name: "apt", Doc: "Debian packages", Run: aptStep},
		{Name: "iptables", Doc: "xtables links the engine expects in /usr/bin", Run: iptablesStep},
		{Name: "dagger", Doc: "dagger " + DaggerVersion + " binaries from ci/engine", Run: daggerStep},
		{Name: "runc", Doc: "runc " + RuncVersion + " (cgo, seccomp)", Run: runcStep},
		{Name: "cni", Doc: "CNI plugins " + CNIVersion, Run: cniStep},
		{Name: "install", Doc: "binaries to the paths the engine hard-codes", Run: installStep},
	}
	steps = append(steps, cfg.BeforeEngine...)
	steps = append(steps,
		Step{Name: "engine", Doc: "dagger-engine on unix://" + cfg.EngineSocket(), Run: engineStep},
		Step{Name: "registry", Doc: "docker-registry on " + cfg.Registry, Run: registryStep},
	)
	return append(steps, cfg.AfterRegistry...)
}

// Up provisions everything (see the package doc). It is idempotent: a second
// run reports every step as reused.
func Up(ctx context.Context, cfg Config) error {
	_, err := UpResults(ctx, cfg)
	return err
}

// UpResults is Up, also returning what each step did (up to the failing one).
func UpResults(ctx context.Context, cfg Config) ([]Result, error) {
	unlock, err := lockHome(cfg)
	if err != nil {
		return nil, fmt.Errorf("up: %w", err)
	}
	defer unlock()
	return runSteps(ctx, cfg, Steps(cfg))
}

// runSteps runs steps in order, printing progress, until one fails. All
// steps share one EngineEnv map, made here when cfg has none.
func runSteps(ctx context.Context, cfg Config, steps []Step) ([]Result, error) {
	if cfg.EngineEnv == nil {
		cfg.EngineEnv = map[string]string{}
	}
	w := cfg.logw()
	results := make([]Result, 0, len(steps))
	for _, s := range steps {
		if s.Doc != "" {
			fmt.Fprintf(w, "==> %s: %s\n", s.Name, s.Doc)
		} else {
			fmt.Fprintf(w, "==> %s\n", s.Name)
		}
		start := time.Now()
		err := s.Run(ctx, cfg)
		r := Result{Name: s.Name, Reused: errors.Is(err, ErrReused), Duration: time.Since(start)}
		switch {
		case r.Reused:
			fmt.Fprintf(w, "    reused\n")
		case err != nil:
			fmt.Fprintf(w, "    failed (%s)\n", roundDuration(r.Duration))
			return results, fmt.Errorf("up: %s: %w", s.Name, err)
		default:
			fmt.Fprintf(w, "    ok (%s)\n", roundDuration(r.Duration))
		}
		results = append(results, r)
	}
	return results, nil
}

func roundDuration(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}
