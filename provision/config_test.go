package provision

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestDefaultConfigHome(t *testing.T) {
	tests := []struct{ env, want string }{
		{"", DefaultHome},
		{"/tmp/x", "/tmp/x"},
	}
	for _, tt := range tests {
		t.Setenv("IMMUTABLE_HOME", tt.env)
		cfg := DefaultConfig()
		if cfg.Home != tt.want {
			t.Errorf("IMMUTABLE_HOME=%q: Home = %q, want %q", tt.env, cfg.Home, tt.want)
		}
		if cfg.Registry != DefaultRegistry || cfg.EngineEnv == nil {
			t.Errorf("DefaultConfig() = %+v, want Registry %s and non-nil EngineEnv", cfg, DefaultRegistry)
		}
	}
}

func TestPaths(t *testing.T) {
	cfg := Config{Home: "/h", Registry: "127.0.0.1:5000"}
	tests := []struct{ name, got, want string }{
		{"BinDir", cfg.BinDir(), "/h/bin/v0.21.8"},
		{"EngineSocket", cfg.EngineSocket(), "/h/engine/engine.sock"},
		{"RegistryDir", cfg.RegistryDir(), "/h/registry"},
		{"RegistryRef", cfg.RegistryRef(), "localhost:5000"},
		{"RegistryRef no port", Config{Registry: "weird"}.RegistryRef(), "weird"},
		{"pid file", cfg.engineDaemon().pidFile, "/h/engine/engine.pid"},
		{"registry pid file", cfg.registryDaemon().pidFile, "/h/registry/registry.pid"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestEnv(t *testing.T) {
	cfg := Config{Home: "/h", Registry: "127.0.0.1:5000"}
	tests := []struct {
		name, path, wantPath string
	}{
		{"prefixes PATH", "/usr/bin", "/h/bin/v0.21.8:/usr/bin"},
		{"already prefixed", "/h/bin/v0.21.8:/usr/bin", "/h/bin/v0.21.8:/usr/bin"},
		{"empty PATH", "", "/h/bin/v0.21.8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			env := cfg.Env()
			for _, want := range []string{
				"_EXPERIMENTAL_DAGGER_RUNNER_HOST=unix:///h/engine/engine.sock",
				"_EXPERIMENTAL_DAGGER_CLI_BIN=/h/bin/v0.21.8/dagger",
				"IMMUTABLE_REGISTRY=localhost:5000",
				"IMMUTABLE_HOME=/h",
				"IMMUTABLE_E2E=1",
				"PATH=" + tt.wantPath,
			} {
				if !slices.Contains(env, want) {
					t.Errorf("Env() = %q, missing %q", env, want)
				}
			}
		})
	}
}

func TestEngineEnvLinesSorted(t *testing.T) {
	cfg := Config{EngineEnv: map[string]string{"B": "2", "A": "1"}}
	if got, want := strings.Join(cfg.engineEnvLines(), ","), "A=1,B=2"; got != want {
		t.Errorf("engineEnvLines() = %q, want %q", got, want)
	}
	d := cfg.engineDaemon()
	if !slices.Contains(d.env, "A=1") || !slices.Contains(d.env, "PATH="+engineHostPath) {
		t.Errorf("engine env %q lacks EngineEnv or host PATH", d.env)
	}
}

func TestStepsOrder(t *testing.T) {
	noop := func(context.Context, Config) error { return nil }
	cfg := Config{
		Home:          "/h",
		BeforeEngine:  []Step{{Name: "sdk", Run: noop}},
		AfterRegistry: []Step{{Name: "bases", Run: noop}},
	}
	var names []string
	for _, s := range Steps(cfg) {
		names = append(names, s.Name)
	}
	want := "apt iptables dagger runc cni install sdk engine registry bases"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("Steps() = %q, want %q", got, want)
	}
}

func TestRegistryConfigYAML(t *testing.T) {
	y := Config{Home: "/h", Registry: "127.0.0.1:5000"}.registryConfigYAML()
	for _, want := range []string{"addr: 127.0.0.1:5000", "rootdirectory: /h/registry/data", "delete:\n    enabled: true"} {
		if !strings.Contains(y, want) {
			t.Errorf("registry config lacks %q:\n%s", want, y)
		}
	}
}
