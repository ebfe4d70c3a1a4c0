package pipeline

import (
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestParseProbe(t *testing.T) {
	for in, want := range map[string]Probe{
		"/":                {Path: "/"},
		"/healthz=200":     {Path: "/healthz"},
		"/api/v1/ping=204": {Path: "/api/v1/ping", Status: 204},
	} {
		if in == "/healthz=200" {
			want.Status = 200
		}
		got, err := ParseProbe(in)
		if err != nil || got != want {
			t.Errorf("ParseProbe(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"healthz=200":  "must start with /",
		"/healthz=ok":  "not an HTTP status",
		"/healthz=999": "not an HTTP status",
		"/a b":         "no spaces",
	} {
		if _, err := ParseProbe(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseProbe(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}

func TestSmokeOptionsDefaultsAndErrors(t *testing.T) {
	o, err := SmokeOptions{}.withDefaults()
	if err != nil || o.Timeout != DefaultSmokeTimeout || o.Uptime != DefaultSmokeUptime {
		t.Errorf("zero SmokeOptions = %+v, %v; want the default timeout and uptime", o, err)
	}
	for _, tc := range []struct {
		o    SmokeOptions
		want string
	}{
		{SmokeOptions{Timeout: -time.Second}, "negative"},
		{SmokeOptions{VersionPath: "version"}, "--version-path \"version\" must start with /"},
		{SmokeOptions{Env: []string{"NOEQUALS"}}, "--smoke-env \"NOEQUALS\": want KEY=VALUE"},
		{SmokeOptions{Env: []string{"A=1", "A=2"}}, "--smoke-env A given twice"},
		{SmokeOptions{Probes: []Probe{{Path: "x"}}}, "must start with /"},
	} {
		if _, err := tc.o.withDefaults(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v.withDefaults() = %v, want an error containing %q", tc.o, err, tc.want)
		}
	}
}

func TestNewProbeConfig(t *testing.T) {
	cf := &v1.ConfigFile{Config: v1.Config{Entrypoint: []string{"node", "server.js"}, Cmd: []string{"data.json"}}}
	for _, tc := range []struct {
		name   string
		o      SmokeOptions
		probes []Probe
	}{
		{"default", SmokeOptions{}, []Probe{{Path: "/"}}},
		{"probes replace /", SmokeOptions{Probes: []Probe{{Path: "/healthz", Status: 200}}}, []Probe{{Path: "/healthz", Status: 200}}},
		{"version path", SmokeOptions{VersionPath: "/version"}, []Probe{{Path: "/version", Status: 200, Version: "1.2.3"}}},
		{"both", SmokeOptions{Probes: []Probe{{Path: "/healthz"}}, VersionPath: "/v"}, []Probe{{Path: "/healthz"}, {Path: "/v", Status: 200, Version: "1.2.3"}}},
	} {
		cfg, err := newProbeConfig(cf, 8080, "1.2.3", tc.o)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(cfg.Probes, tc.probes) {
			t.Errorf("%s: probes %+v, want %+v", tc.name, cfg.Probes, tc.probes)
		}
		if want := []string{"node", "server.js", "data.json"}; !reflect.DeepEqual(cfg.Command, want) {
			t.Errorf("%s: command %q, want entrypoint+cmd %q", tc.name, cfg.Command, want)
		}
		if cfg.Port != 8080 || cfg.TimeoutMs != 30000 || cfg.UptimeMs != 3000 || cfg.TailLines != SmokeLogLines || cfg.Nonce == "" {
			t.Errorf("%s: config %+v", tc.name, cfg)
		}
	}
	cfg, _ := newProbeConfig(cf, 0, "1", SmokeOptions{Env: []string{"DB=x=y"}, Uptime: 10 * time.Second})
	if cfg.Env["DB"] != "x=y" || cfg.UptimeMs != 10000 {
		t.Errorf("smoke env and uptime: %+v", cfg)
	}
	if _, err := newProbeConfig(&v1.ConfigFile{}, 80, "1", SmokeOptions{}); err == nil {
		t.Error("an image with no entrypoint or cmd: no error")
	}
}

func TestSmokeResult(t *testing.T) {
	out := "noise\nIMMUTABLE-SMOKE-RESULT " + `{"ok":true,"uid":1000,"gid":1000,"cwd":"/app","env":["PATH=/bin","PORT=3000","EXTRA=1"]}` + "\n"
	r, err := parseSmokeResult(out)
	if err != nil || !r.OK || r.Err() != nil {
		t.Fatalf("parseSmokeResult = %+v, %v", r, err)
	}
	cf := &v1.ConfigFile{Config: v1.Config{User: "1000:1000", WorkingDir: "/app", Env: []string{"PATH=/bin", "PORT=3000"}}}
	if err := r.asPublished(cf); err != nil {
		t.Errorf("asPublished = %v", err)
	}
	cf.Config.User, cf.Config.WorkingDir, cf.Config.Env = "0:0", "/srv", append(cf.Config.Env, "NODE_ENV=production")
	err = r.asPublished(cf)
	for _, want := range []string{"ran as 1000:1000, the image says user 0:0", "ran in /app, the image says /srv", "without the image's NODE_ENV"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("asPublished = %v, want %q", err, want)
		}
	}
	if _, err := parseSmokeResult("Error: Cannot find module\n"); err == nil {
		t.Error("no result line: no error")
	}
}

func TestCollapse(t *testing.T) {
	in := []string{"start", "err", "err", "err", "err", "ok", "ok", ""}
	want := []string{"start", "err  [4 times]", "ok", "ok", ""}
	if got := collapse(in); !reflect.DeepEqual(got, want) {
		t.Errorf("collapse(%q) = %q, want %q", in, got, want)
	}
}
