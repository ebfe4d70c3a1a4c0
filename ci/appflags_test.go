package main

import (
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"

	"dagger/immutable/pipeline"
)

func TestAppFlags(t *testing.T) {
	var f appFlags
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	f.register(fs)
	err := fs.Parse([]string{
		"--env", "LOG_LEVEL=debug", "--env", "NODE_ENV=staging", "--arg", "data.json", "--arg", "--verbose",
		"--writable-dir", "/app/data", "--probe", "/healthz=200", "--probe", "/", "--version-path", "/version",
		"--smoke-env", "DATABASE_URL=sqlite::memory:", "--smoke-timeout", "10s", "--smoke-uptime", "1s",
	})
	if err != nil {
		t.Fatal(err)
	}
	var o pipeline.BuildOptions
	if err := f.apply(&o); err != nil {
		t.Fatal(err)
	}
	want := pipeline.BuildOptions{
		Env: []string{"LOG_LEVEL=debug", "NODE_ENV=staging"}, Args: []string{"data.json", "--verbose"},
		WritableDirs: []string{"/app/data"},
		Smoke: pipeline.SmokeOptions{
			Probes:      []pipeline.Probe{{Path: "/healthz", Status: 200}, {Path: "/"}},
			VersionPath: "/version", Env: []string{"DATABASE_URL=sqlite::memory:"},
			Timeout: 10 * time.Second, Uptime: time.Second,
		},
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("options = %+v\nwant %+v", o, want)
	}

	f = appFlags{probes: listFlag{"healthz"}}
	if err := f.apply(&o); err == nil || !strings.Contains(err.Error(), "must start with /") {
		t.Errorf("--probe healthz: %v, want a clear error", err)
	}
}
