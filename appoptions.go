package main

import (
	"fmt"
	"time"

	"dagger/immutable/pipeline"
)

// appOptions sets how the app runs and how the smoke test judges it, from
// the constructor's arguments (the same names as go run ./ci's flags).
func (m *Immutable) appOptions(o *pipeline.BuildOptions) error {
	probes, err := pipeline.ParseProbes(m.Probe)
	if err != nil {
		return err
	}
	timeout, err := moduleDuration("smoke-timeout", m.SmokeTimeout)
	if err != nil {
		return err
	}
	uptime, err := moduleDuration("smoke-uptime", m.SmokeUptime)
	if err != nil {
		return err
	}
	if err := pipeline.PlatformFlags(o, m.Platforms, m.PlatformBase); err != nil {
		return err
	}
	o.Env, o.Args, o.WritableDirs, o.Worker = m.Env, m.Arg, m.WritableDir, m.Worker
	o.Smoke = pipeline.SmokeOptions{
		Probes: probes, VersionPath: m.VersionPath, Env: m.SmokeEnv,
		Timeout: timeout, Uptime: uptime, Skip: m.SkipSmoke,
	}
	return nil
}

// moduleDuration parses the duration argument given as --flag; "" is 0
// (the default).
func moduleDuration(flag, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("--%s %q: want a duration such as 30s or 1m", flag, s)
	}
	return d, nil
}
