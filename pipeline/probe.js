// Smoke probe: node probe.js <config.json>
//
// Runs inside the published image, with the image's node, user, env and
// workdir. It starts the image's command (entrypoint + cmd) as a child,
// keeps the last lines of its stdout and stderr, then either waits for the
// port and probes it over HTTP (a service) or only watches the process (a
// worker). It always ends by printing one line, MARKER + JSON (see
// smokeResult in smoke.go), and exits 0 when the app passed, 1 otherwise.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');

const MARKER = 'IMMUTABLE-SMOKE-RESULT ';
const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const started = Date.now();
const steps = [];
const log = [];
let dropped = 0;
let exit = null; // set when the app exits: "exit code 1" or "signal SIGKILL"

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (ms) => (ms / 1000).toFixed(1) + 's';
const since = () => secs(Date.now() - started);

function keep(line) {
  log.push(line.length > 500 ? line.slice(0, 500) + '…' : line);
  if (log.length > cfg.tailLines) {
    log.shift();
    dropped++;
  }
}

// capture splits a stream into lines for the ring buffer.
function capture(stream) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    lines.forEach(keep);
  });
  stream.on('end', () => {
    if (rest) keep(rest);
  });
}

function finish(error) {
  const result = {
    ok: !error,
    error: error || '',
    steps,
    exit: exit || '',
    log,
    dropped,
    uid: process.getuid(),
    gid: process.getgid(),
    cwd: process.cwd(),
    env: Object.entries(process.env).map(([k, v]) => k + '=' + v),
  };
  const done = () => {
    process.stdout.write(MARKER + JSON.stringify(result) + '\n', () => process.exit(error ? 1 : 0));
  };
  if (exit || !child) return done();
  child.once('close', done);
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 2000).unref();
}

// The app runs exactly as the image starts it; smoke-only variables are
// added to its environment, not to the probe's.
const [cmd, ...args] = cfg.command;
const child = spawn(cmd, args, { env: { ...process.env, ...cfg.env }, stdio: ['ignore', 'pipe', 'pipe'] });
capture(child.stdout);
capture(child.stderr);
let exited;
const exitPromise = new Promise((resolve) => {
  exited = resolve;
});
child.on('error', (err) => {
  exit = 'could not start: ' + err.message;
  exited();
});
// 'close', not 'exit': the app's last output lines are read by then.
child.on('close', (code, signal) => {
  exit = signal ? 'signal ' + signal : 'exit code ' + code;
  exited();
});

// appHost is the container's own address, not loopback: an app that listens
// on 127.0.0.1 only cannot be reached from outside its container.
function appHost() {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs || []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}

function canConnect(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

// listening returns the TCP ports something listens on in this network
// namespace (the app's: the probe listens on none), with their addresses.
function listening() {
  const found = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A') continue; // TCP_LISTEN
      const [addr, port] = f[1].split(':');
      const any = /^0+$/.test(addr);
      const loop = addr === '0100007F' || addr === '00000000000000000000000001000000';
      found.push(parseInt(port, 16) + (any ? '' : loop ? ' (loopback only)' : ' (' + addr + ')'));
    }
  }
  return [...new Set(found)];
}

// raceExit runs p but ends early with null when the app exits.
function raceExit(p) {
  return Promise.race([p, exitPromise.then(() => null)]);
}

async function waitPort(host, deadline) {
  for (;;) {
    if (exit) return false;
    if (await canConnect(host, cfg.port)) return true;
    if (Date.now() > deadline) return false;
    await raceExit(sleep(50));
  }
}

async function get(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'manual' });
    const body = await res.text();
    return { status: res.status, text: res.statusText, type: res.headers.get('content-type') || '', body };
  } catch (err) {
    return { error: (err.cause && err.cause.message) || err.message };
  }
}

function describe(path, r) {
  if (r.error) return `GET ${path}: ${r.error}`;
  const body = r.body.length > 200 ? r.body.slice(0, 200) + '…' : r.body;
  return `GET ${path} -> ${r.status} ${r.text} (${r.type || 'no content-type'}, ${r.body.length} bytes)${body.trim() ? ': ' + body.trim().replace(/\s+/g, ' ') : ''}`;
}

// check returns "" when r satisfies the probe, else what is wrong.
function check(probe, r) {
  if (r.error) return r.error;
  if (probe.status ? r.status !== probe.status : r.status >= 500) {
    return `status ${r.status}, want ${probe.status || 'below 500'}`;
  }
  if (probe.version) {
    let v;
    try {
      v = JSON.parse(r.body).version;
    } catch {
      return 'the body is not JSON, want {"version": "' + probe.version + '"}';
    }
    if (v !== probe.version) return `version ${JSON.stringify(v)}, want ${JSON.stringify(probe.version)}`;
  }
  return '';
}

// probeUntil repeats GET path until it satisfies probe, the app exits or the
// deadline passes (the app may still be starting up).
async function probeUntil(base, probe, deadline) {
  for (;;) {
    const r = await raceExit(get(base + probe.path));
    if (r === null) return `the app exited (${exit}) while GET ${probe.path} was in flight`;
    const wrong = check(probe, r);
    if (!wrong) {
      steps.push(describe(probe.path, r));
      return '';
    }
    if (exit || Date.now() > deadline) {
      steps.push(describe(probe.path, r));
      return `GET ${probe.path}: ${wrong}` + (exit ? ` (the app exited: ${exit})` : ` (still so after ${secs(cfg.timeoutMs)})`);
    }
    await raceExit(sleep(250));
  }
}

// stayUp fails when the app exits within ms; when is "after start" or
// "after the probes passed".
async function stayUp(ms, when) {
  await raceExit(sleep(ms));
  if (exit) return `the app exited (${exit}) ${since()} after start; it must keep running (watched for ${secs(ms)} ${when})`;
  steps.push(`still running ${secs(ms)} ${when}`);
  return '';
}

async function main() {
  if (!cfg.port) {
    return stayUp(cfg.uptimeMs, 'after start');
  }
  const deadline = started + cfg.timeoutMs;
  const host = appHost();
  if (!(await waitPort(host, deadline))) {
    const ports = listening();
    const seen = ports.length ? `it listens on ${ports.join(', ')}` : 'it listens on no TCP port';
    if (exit) return `the app exited (${exit}) before it opened port ${cfg.port}`;
    steps.push(`port ${cfg.port} on ${host}: not open after ${since()}; ${seen}`);
    let hint = '';
    if (ports.some((p) => p.startsWith(cfg.port + ' (loopback'))) {
      hint = ': it listens on 127.0.0.1 only; listen on 0.0.0.0 (all interfaces) to be reachable from outside the container';
    } else if (ports.length) {
      hint = `: ${seen}; pass --port ${parseInt(ports[0], 10)} if that is the app's port`;
    }
    return `port ${cfg.port} did not open within ${secs(cfg.timeoutMs)}${hint}`;
  }
  steps.push(`port ${cfg.port} open on ${host} after ${since()}`);
  const base = `http://${host}:${cfg.port}`;
  for (const probe of cfg.probes) {
    const wrong = await probeUntil(base, probe, deadline);
    if (wrong) return wrong;
  }
  return stayUp(cfg.uptimeMs, 'after the probes passed');
}

main().then(finish, (err) => finish('probe error: ' + err.stack));
