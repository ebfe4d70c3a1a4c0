package provision

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Engine start-up and shutdown bounds.
const (
	// EngineStartTimeout bounds the wait for a fresh engine to answer.
	EngineStartTimeout = 2 * time.Minute
	// EngineStopTimeout is how long Down waits after SIGTERM before SIGKILL.
	// A stop usually takes 5-20 s; the engine first finishes the network
	// namespace it is adding to its pool.
	EngineStopTimeout = 60 * time.Second
)

// engineHostPath is the PATH of the engine process: it runs runc, iptables,
// dnsmasq and the CNI plugins from the host.
const engineHostPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// engineConfigTOML is the engine's BuildKit-style config (see
// internal/buildkit/cmd/buildkitd/config in dagger). Socket and state root
// are flags. Registries on localhost/127.0.0.1 are plain HTTP by default, so
// none is listed. Whatever the config, the engine also listens on
// /run/buildkit/buildkitd.sock and /run/dagger/engine.sock (cmd/engine
// prepends them), so one host runs one engine.
const engineConfigTOML = `# Written by provision (go run ./ci up); changes are overwritten.
debug = true
insecure-entitlements = ["security.insecure"]
`

func (c Config) engineRoot() string   { return filepath.Join(c.EngineDir(), "root") }
func (c Config) engineConfig() string { return filepath.Join(c.EngineDir(), "engine.toml") }
func (c Config) engineStamp() string  { return filepath.Join(c.EngineDir(), "engine.stamp") }

// engineDaemon describes the engine process: dagger-engine run through
// `unshare --mount --propagation private` so the /etc/resolv.conf it
// bind-mounts stays in its own mount namespace.
func (c Config) engineDaemon() daemon {
	engine := filepath.Join(c.BinDir(), "dagger-engine")
	env := []string{"PATH=" + engineHostPath}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PATH" || strings.HasPrefix(k, "_EXPERIMENTAL_DAGGER_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range c.EngineEnv {
		env = setEnv(env, k, v)
	}
	return daemon{
		name:    "engine",
		pidFile: filepath.Join(c.EngineDir(), "engine.pid"),
		logFile: filepath.Join(c.EngineDir(), "engine.log"),
		match:   engine,
		argv: []string{"unshare", "--mount", "--propagation", "private", "--",
			engine, "--config", c.engineConfig(), "--root", c.engineRoot(), "--addr", "unix://" + c.EngineSocket()},
		env:  env,
		stop: EngineStopTimeout,
	}
}

// engineWant is what a running engine must have been started with to be
// reused: the binaries' build stamp, the config, the extra env and the command.
func (c Config) engineWant(d daemon) string {
	bin, _ := os.ReadFile(filepath.Join(c.BinDir(), stampFile))
	return fmt.Sprintf("%s%s\nenv:\n%s\nargv: %s\n", bin, engineConfigTOML,
		strings.Join(c.engineEnvLines(), "\n"), strings.Join(d.argv, " "))
}

func engineStep(ctx context.Context, cfg Config) error {
	d := cfg.engineDaemon()
	want := cfg.engineWant(d)
	if _, ok := d.running(); ok {
		dialErr := dialUnix(cfg.EngineSocket())
		switch {
		case !stampMatches(cfg.engineStamp(), want):
			fmt.Fprintf(cfg.logw(), "    restarting: binaries, config or engine env changed since it started\n")
		case dialErr != nil:
			fmt.Fprintf(cfg.logw(), "    restarting: socket does not answer: %v\n", dialErr)
		default:
			return ErrReused
		}
		if _, _, err := d.terminate(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(cfg.engineRoot(), 0o711); err != nil {
		return err
	}
	if err := writeFileAtomic(cfg.engineConfig(), []byte(engineConfigTOML), 0o644); err != nil {
		return err
	}
	if err := removeIfExists(cfg.EngineSocket()); err != nil {
		return err
	}
	pid, err := d.start()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(cfg.engineStamp(), []byte(want), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(cfg.logw(), "    pid %d, log %s\n", pid, d.logFile)
	err = d.waitReady(ctx, pid, EngineStartTimeout, func() error {
		if err := dialUnix(cfg.EngineSocket()); err != nil {
			return err
		}
		return engineVersion(ctx, cfg)
	})
	if err != nil {
		_, _, _ = d.terminate()
		return err
	}
	return nil
}

// dialUnix reports whether something accepts connections on the socket.
func dialUnix(path string) error {
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return err
	}
	return conn.Close()
}

// engineVersion asks the engine for its version through the dagger CLI,
// which proves it serves sessions, not just that its socket is open.
func engineVersion(ctx context.Context, cfg Config) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	env := append(os.Environ(), cfg.Env()...)
	out, err := run(ctx, env, "/", filepath.Join(cfg.BinDir(), "dagger"), "core", "version")
	if err != nil {
		return err
	}
	if !strings.Contains(string(out), DaggerVersion) {
		return fmt.Errorf("engine answered %q, want version %s", strings.TrimSpace(string(out)), DaggerVersion)
	}
	return nil
}
