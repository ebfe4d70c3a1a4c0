package main

import (
	"flag"
	"strings"
	"time"

	"dagger/immutable/pipeline"
)

// appFlags describe how the app runs and how the smoke test judges it; the
// module takes the same names as constructor arguments.
type appFlags struct {
	env, args, writableDirs   listFlag
	worker                    bool
	probes, smokeEnv          listFlag
	versionPath               string
	smokeTimeout, smokeUptime time.Duration
	skipSmoke                 bool
	platforms, platformBases  listFlag
}

func (f *appFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.env, "env", "KEY=VALUE written into the image config (repeatable; part of the digest; never a secret)")
	fs.Var(&f.args, "arg", "argument after the entrypoint, e.g. --arg data.json to start node server.js data.json (repeatable, in order)")
	fs.Var(&f.writableDirs, "writable-dir", "directory the non-root app may write, created empty and owned by 1000:1000, e.g. /app/data (repeatable; /tmp is always writable)")
	fs.BoolVar(&f.worker, "worker", false, "the app listens on no port (a worker): nothing exposed, no $PORT; the smoke test checks it keeps running for --smoke-uptime")
	fs.Var(&f.probes, "probe", "smoke test: PATH or PATH=STATUS that must answer, e.g. /healthz=200 (repeatable; replaces the default GET / below 500)")
	fs.StringVar(&f.versionPath, "version-path", "", "smoke test: path whose JSON must report the version being built as \"version\", e.g. /version")
	fs.Var(&f.smokeEnv, "smoke-env", "smoke test: KEY=VALUE set for the smoke run only, not in the image (repeatable)")
	fs.DurationVar(&f.smokeTimeout, "smoke-timeout", pipeline.DefaultSmokeTimeout, "smoke test: time for the port to open and the probes to pass")
	fs.DurationVar(&f.smokeUptime, "smoke-uptime", pipeline.DefaultSmokeUptime, "smoke test: how long the app must keep running after the probes (a worker: after start)")
	fs.BoolVar(&f.skipSmoke, "skip-smoke", false, "do not run the smoke test; the gate and the release record say skipped")
	fs.Var(&f.platforms, "platforms", "platforms to build, comma-separated: linux/amd64 (default) and linux/arm64; more than one publishes an image index")
	fs.Var(&f.platformBases, "platform-base", "PLATFORM=REPO@sha256:… runtime base of a platform other than linux/amd64 (repeatable; default: the project's locked base, or --runtime-base when it is an index)")
}

// apply sets the app's options on o.
func (f *appFlags) apply(o *pipeline.BuildOptions) error {
	probes, err := pipeline.ParseProbes(f.probes)
	if err != nil {
		return err
	}
	if err := pipeline.PlatformFlags(o, f.platforms, f.platformBases); err != nil {
		return err
	}
	o.Env, o.Args, o.WritableDirs, o.Worker = f.env, f.args, f.writableDirs, f.worker
	o.Smoke = pipeline.SmokeOptions{
		Probes: probes, VersionPath: f.versionPath, Env: f.smokeEnv,
		Timeout: f.smokeTimeout, Uptime: f.smokeUptime, Skip: f.skipSmoke,
	}
	return nil
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set appends one value.
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}
