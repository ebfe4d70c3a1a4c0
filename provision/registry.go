package provision

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Registry start-up and shutdown bounds.
const (
	// RegistryStartTimeout bounds the wait for GET /v2/ to answer 200.
	RegistryStartTimeout = 30 * time.Second
	// RegistryStopTimeout is how long Down waits after SIGTERM before SIGKILL.
	RegistryStopTimeout = 10 * time.Second
)

// RegistryBin is Debian's docker-registry (distribution 2.8).
const RegistryBin = "/usr/bin/docker-registry"

func (c Config) registryConfig() string { return filepath.Join(c.RegistryDir(), "config.yml") }

// registryConfigYAML returns the registry's configuration: listen on
// c.Registry, filesystem storage under RegistryDir()/data, deletes enabled.
func (c Config) registryConfigYAML() string {
	return "# Written by provision (go run ./ci up); changes are overwritten.\n" +
		RegistryConfigYAML(filepath.Join(c.RegistryDir(), "data"), c.Registry, "")
}

// RegistryConfigYAML returns a distribution configuration: listen on addr,
// filesystem storage under dataDir, deletes enabled and, when htpasswd is
// set, HTTP basic auth from that htpasswd file.
func RegistryConfigYAML(dataDir, addr, htpasswd string) string {
	y := fmt.Sprintf(`version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: %s
`, dataDir, addr)
	if htpasswd != "" {
		y += fmt.Sprintf(`  secret: immutable-test
auth:
  htpasswd:
    realm: immutable
    path: %s
`, htpasswd)
	}
	return y
}

func (c Config) registryDaemon() daemon {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") { // these override the config file
			env = append(env, kv)
		}
	}
	return daemon{
		name:    "registry",
		pidFile: filepath.Join(c.RegistryDir(), "registry.pid"),
		logFile: filepath.Join(c.RegistryDir(), "registry.log"),
		match:   RegistryBin,
		argv:    []string{RegistryBin, "serve", c.registryConfig()},
		env:     env,
		stop:    RegistryStopTimeout,
	}
}

func registryStep(ctx context.Context, cfg Config) error {
	d := cfg.registryDaemon()
	want := cfg.registryConfigYAML()
	if _, ok := d.running(); ok {
		getErr := registryAnswers(ctx, cfg.Registry)
		switch {
		case !stampMatches(cfg.registryConfig(), want):
			fmt.Fprintf(cfg.logw(), "    restarting: config changed since it started\n")
		case getErr != nil:
			fmt.Fprintf(cfg.logw(), "    restarting: %v\n", getErr)
		default:
			return ErrReused
		}
		if _, _, err := d.terminate(); err != nil {
			return err
		}
	}
	if err := portFree(cfg.Registry); err != nil {
		return fmt.Errorf("%s is held by a process up did not start (no live %s in %s): %w; stop it or choose another address",
			cfg.Registry, RegistryBin, d.pidFile, err)
	}
	if err := os.MkdirAll(filepath.Join(cfg.RegistryDir(), "data"), 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(cfg.registryConfig(), []byte(want), 0o644); err != nil {
		return err
	}
	pid, err := d.start()
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.logw(), "    pid %d, log %s\n", pid, d.logFile)
	err = d.waitReady(ctx, pid, RegistryStartTimeout, func() error { return registryAnswers(ctx, cfg.Registry) })
	if err != nil {
		_, _, _ = d.terminate()
		return err
	}
	return nil
}

// registryAnswers checks that GET http://addr/v2/ returns 200.
func registryAnswers(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /v2/: %s", resp.Status)
	}
	return nil
}

// portFree checks that nothing listens on addr by binding it briefly.
func portFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}
