package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"dagger/immutable/provision"
)

// AuthRegistry starts a registry of its own for the test on
// 127.0.0.1:<free port> that requires HTTP basic auth as user/pass (an
// htpasswd file), and returns its host:port. Storage and log are in a
// temporary directory; the registry is killed when the test ends. The log
// is printed when the registry fails to start.
func AuthRegistry(t testing.TB, user, pass string) string {
	t.Helper()
	Require(t)
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("auth registry: hashing the password: %v", err)
	}
	dir := t.TempDir()
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, err := freeAddr()
	if err != nil {
		t.Fatalf("auth registry: %v", err)
	}
	config := filepath.Join(dir, "config.yml")
	yml := provision.RegistryConfigYAML(filepath.Join(dir, "data"), addr, htpasswd)
	if err := os.WriteFile(config, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "registry.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(provision.RegistryBin, "serve", config)
	cmd.Stdout, cmd.Stderr = logf, logf
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") { // these override the config file
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("auth registry: starting %s: %v", provision.RegistryBin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	if err := waitChallenge(addr, exited, &waitErr); err != nil {
		log, _ := os.ReadFile(logPath)
		t.Fatalf("auth registry on %s: %v\n%s", addr, err, log)
	}
	return addr
}

// waitChallenge waits up to 30s for GET /v2/ to answer 401, the registry
// asking for credentials.
func waitChallenge(addr string, exited <-chan struct{}, waitErr *error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v2/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			return fmt.Errorf("GET /v2/ without credentials: %s, want 401 Unauthorized", resp.Status)
		}
		select {
		case <-exited:
			return fmt.Errorf("registry exited: %v", *waitErr)
		case <-ctx.Done():
			return fmt.Errorf("not answering after 30s: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freeAddr returns 127.0.0.1:<a port nothing listens on now>.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
