package pipeline

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Apps the probe is tried on, with the host's node (the probe's logic
// does not depend on the image; the e2e tests run it in images).
const (
	okServer = `const http = require('node:http');
http.createServer((req, res) => {
  if (req.url === '/version') { res.setHeader('content-type', 'application/json'); return res.end(JSON.stringify({version: process.env.APP_VERSION})); }
  if (req.url === '/healthz') return res.end('ok');
  res.statusCode = req.url === '/' ? 200 : 404; res.end('hello ' + (process.env.GREETING || ''));
}).listen(Number(process.env.PORT));
console.log('listening on', process.env.PORT);`
	failingServer = `require('node:http').createServer((req, res) => { console.error('TypeError: db is undefined at ' + req.url); res.statusCode = 500; res.end('boom'); }).listen(Number(process.env.PORT));`
	crashAtStart  = `console.log('starting'); console.error("Error: EACCES: permission denied, mkdir '/etc/myapp'"); process.exit(1);`
	loopbackOnly  = `require('node:http').createServer((req, res) => res.end('hi')).listen(Number(process.env.PORT), '127.0.0.1');`
	otherPort     = `require('node:http').createServer((req, res) => res.end('hi')).listen(Number(process.env.PORT) + 1);`
	worker        = `let n = 0; setInterval(() => console.log('job', ++n), 100); console.log('worker up, cwd', process.cwd());`
	shortWorker   = `console.log('one batch done'); setTimeout(() => process.exit(0), 200);`
	chatty        = `for (let i = 1; i <= 100; i++) console.log('line ' + i); process.exit(3);`
)

// runProbe runs probe.js on app (the file's source) with cfg's port, and
// returns its result and exit code.
func runProbe(t *testing.T, app string, port int, probes []Probe, env map[string]string) (*smokeResult, int) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.js"), []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := probeConfig{
		Command: []string{"node", "app.js"}, Port: port, Probes: probes, Env: env,
		TimeoutMs: 3000, UptimeMs: 500, TailLines: SmokeLogLines,
	}
	raw, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgFile, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	probe, _ := filepath.Abs("probe.js")
	cmd := exec.Command(node, probe, cfgFile)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "APP_VERSION=1.2.3")
	out, err := cmd.Output()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	res, err := parseSmokeResult(string(out))
	if err != nil {
		t.Fatalf("%v; stdout:\n%s", err, out)
	}
	return res, code
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// hasExternalIPv4 says whether the probe will probe a non-loopback address.
func hasExternalIPv4() bool {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return true
		}
	}
	return false
}

func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		name   string
		app    string
		worker bool
		probes []Probe
		env    map[string]string
		ok     bool
		want   []string // in Err() (failures) or the steps (passes)
	}{
		{name: "default contract", app: okServer, probes: []Probe{{Path: "/"}}, ok: true,
			want: []string{"GET / -> 200", "still running 0.5s after the probes passed"}},
		{name: "404 on / passes", app: okServer, probes: []Probe{{Path: "/nothing-here"}}, ok: true,
			want: []string{"GET /nothing-here -> 404"}},
		{name: "probes and version", app: okServer, probes: []Probe{{Path: "/healthz", Status: 200}, {Path: "/version", Status: 200, Version: "1.2.3"}}, ok: true,
			want: []string{"GET /healthz -> 200", `"version":"1.2.3"`}},
		{name: "smoke env reaches the app", app: okServer, probes: []Probe{{Path: "/"}}, env: map[string]string{"GREETING": "from-smoke-env"}, ok: true,
			want: []string{"hello from-smoke-env"}},
		{name: "wrong version", app: okServer, probes: []Probe{{Path: "/version", Status: 200, Version: "9.9.9"}},
			want: []string{`GET /version: version "1.2.3", want "9.9.9"`, "listening on"}},
		{name: "wrong status", app: okServer, probes: []Probe{{Path: "/nothing-here", Status: 200}},
			want: []string{"GET /nothing-here: status 404, want 200"}},
		{name: "status 500", app: failingServer, probes: []Probe{{Path: "/"}},
			want: []string{"GET /: status 500, want below 500", "GET / -> 500", "TypeError: db is undefined at /"}},
		{name: "exits at start", app: crashAtStart, probes: []Probe{{Path: "/"}},
			want: []string{"smoke: the app exited (exit code 1) before it opened port", "ended with exit code 1", "| Error: EACCES: permission denied, mkdir '/etc/myapp'", "| starting"}},
		{name: "wrong port", app: otherPort, probes: []Probe{{Path: "/"}},
			want: []string{"did not open within 3.0s", "it listens on"}},
		{name: "worker stays up", app: worker, worker: true, ok: true,
			want: []string{"still running 0.5s after start"}},
		{name: "worker exits", app: shortWorker, worker: true,
			want: []string{"the app exited (exit code 0)", "it must keep running", "| one batch done"}},
		{name: "tail of a long log", app: chatty, worker: true,
			want: []string{"last 40 of 100 lines", "| line 61\n", "| line 100"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			port := 0
			if !tc.worker {
				port = freePort(t)
			}
			res, code := runProbe(t, tc.app, port, tc.probes, tc.env)
			if res.OK != tc.ok || (code == 0) != tc.ok {
				t.Fatalf("probe ok = %v (exit %d), want %v; result: %v %+v", res.OK, code, tc.ok, res.Err(), res)
			}
			got := strings.Join(res.Steps, "\n")
			if err := res.Err(); err != nil {
				got = err.Error()
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("probe result does not contain %q:\n%s", w, got)
				}
			}
		})
	}
	t.Run("loopback only", func(t *testing.T) {
		t.Parallel()
		if !hasExternalIPv4() {
			t.Skip("no external IPv4 address: the probe uses 127.0.0.1")
		}
		res, _ := runProbe(t, loopbackOnly, freePort(t), []Probe{{Path: "/"}}, nil)
		if err := res.Err(); err == nil || !strings.Contains(err.Error(), "listens on 127.0.0.1 only; listen on 0.0.0.0") {
			t.Errorf("loopback-only app: %v, want the 0.0.0.0 hint", err)
		}
	})
	t.Run("app stopped at the end", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		res, _ := runProbe(t, worker, 0, nil, nil)
		// The probe prints its result once the app it stopped has closed.
		if !res.OK || res.Exit != "" {
			t.Errorf("worker: ok %v, exit %q; want ok and still running when judged", res.OK, res.Exit)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("probe took %s for a 0.5s uptime", d)
		}
	})
}
