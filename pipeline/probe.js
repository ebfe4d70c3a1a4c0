// Smoke probe: node probe.js <base-url> <expected-version>
// Waits for the app, then checks /healthz and /version.
'use strict';

const [base, want] = process.argv.slice(2);

async function get(path) {
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const res = await fetch(base + path);
      return { status: res.status, body: await res.json() };
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`GET ${path}: ${err.message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

(async () => {
  const health = await get('/healthz');
  if (health.status !== 200) throw new Error(`GET /healthz: status ${health.status}, want 200`);
  console.log('GET /healthz', health.status, JSON.stringify(health.body));
  const version = await get('/version');
  if (version.status !== 200 || version.body.version !== want) {
    throw new Error(`GET /version: ${version.status} ${JSON.stringify(version.body)}, want version ${want}`);
  }
  console.log('GET /version', version.status, JSON.stringify(version.body));
})().catch((err) => {
  console.error('smoke test failed:', err.message);
  process.exit(1);
});
