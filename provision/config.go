package provision

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Pinned versions of what Up builds.
const (
	// DaggerVersion is the engine and CLI version built from ci/engine.
	DaggerVersion = "v0.21.8"
	// RuncVersion is the runc module version installed as /usr/local/bin/runc.
	RuncVersion = "v1.4.2"
	// CNIVersion is the containernetworking/plugins module version.
	CNIVersion = "v1.9.0"
)

// Defaults used by DefaultConfig.
const (
	// DefaultHome is the state directory when IMMUTABLE_HOME is unset.
	DefaultHome = "/var/lib/immutable"
	// DefaultRegistry is the address the local registry listens on.
	DefaultRegistry = "127.0.0.1:5000"
)

// Config says where provisioning keeps its state and what extra steps it runs.
// The zero value is not usable; start from DefaultConfig.
type Config struct {
	// Home is the state directory (binaries, engine state, registry data).
	// Default: $IMMUTABLE_HOME, else /var/lib/immutable.
	Home string

	// Registry is the host:port the local registry listens on.
	// Default: 127.0.0.1:5000. Clients are told to use localhost:<port>.
	Registry string

	// Log receives progress lines ("==> step", "    ok (1.2s)"). Default: os.Stderr.
	// Nil discards them.
	Log io.Writer

	// BeforeEngine steps run after the binaries are installed and before the
	// engine starts. They may set EngineEnv entries (for example
	// DAGGER_GO_SDK_MANIFEST_DIGEST); a change there restarts a running engine.
	BeforeEngine []Step

	// AfterRegistry steps run last, with the engine and registry up (for
	// example building and pushing base images).
	AfterRegistry []Step

	// EngineEnv is extra environment for the engine process. Up makes it
	// non-nil before running any step, so BeforeEngine steps can set keys.
	EngineEnv map[string]string
}

// DefaultConfig returns the configuration documented on Config's fields.
func DefaultConfig() Config {
	home := os.Getenv("IMMUTABLE_HOME")
	if home == "" {
		home = DefaultHome
	}
	return Config{
		Home:      home,
		Registry:  DefaultRegistry,
		Log:       os.Stderr,
		EngineEnv: map[string]string{},
	}
}

// BinDir is where the Dagger binaries of DaggerVersion live.
func (c Config) BinDir() string { return filepath.Join(c.Home, "bin", DaggerVersion) }

// EngineDir holds the engine's state root, socket, pid file, log and config.
func (c Config) EngineDir() string { return filepath.Join(c.Home, "engine") }

// EngineSocket is the engine's unix socket path (without the unix:// scheme).
func (c Config) EngineSocket() string { return filepath.Join(c.EngineDir(), "engine.sock") }

// RegistryDir holds the registry's data, config, pid file and log.
func (c Config) RegistryDir() string { return filepath.Join(c.Home, "registry") }

// RegistryRef is the registry's name for clients: localhost:<port>.
func (c Config) RegistryRef() string {
	_, port, err := net.SplitHostPort(c.Registry)
	if err != nil {
		return c.Registry
	}
	return net.JoinHostPort("localhost", port)
}

// Env returns the KEY=VALUE environment a client needs to use the engine and
// the registry: the dagger CLI and SDK variables, PATH with BinDir first,
// IMMUTABLE_HOME, IMMUTABLE_REGISTRY and IMMUTABLE_E2E=1.
func (c Config) Env() []string {
	path := c.BinDir()
	if p := os.Getenv("PATH"); p != "" && !strings.HasPrefix(p, path+string(os.PathListSeparator)) {
		path += string(os.PathListSeparator) + p
	} else if p != "" {
		path = p
	}
	return []string{
		"_EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://" + c.EngineSocket(),
		"_EXPERIMENTAL_DAGGER_CLI_BIN=" + filepath.Join(c.BinDir(), "dagger"),
		"PATH=" + path,
		"IMMUTABLE_HOME=" + c.Home,
		"IMMUTABLE_REGISTRY=" + c.RegistryRef(),
		"IMMUTABLE_E2E=1",
		// The CLI must not try to reach dagger.io for update nags or telemetry.
		"DAGGER_NO_NAG=1",
		"DO_NOT_TRACK=1",
	}
}

// engineEnvLines returns EngineEnv as sorted KEY=VALUE lines.
func (c Config) engineEnvLines() []string {
	lines := make([]string, 0, len(c.EngineEnv))
	for k, v := range c.EngineEnv {
		lines = append(lines, k+"="+v)
	}
	sort.Strings(lines)
	return lines
}

func (c Config) logw() io.Writer {
	if c.Log == nil {
		return io.Discard
	}
	return c.Log
}
