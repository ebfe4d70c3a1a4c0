'use strict';

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');
const { createServer } = require('../app.js');

let server;
let base;

before(async () => {
  server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

test('healthz answers ok', async () => {
  const res = await fetch(`${base}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
});

test('version comes from APP_VERSION', async () => {
  process.env.APP_VERSION = '9.9.9';
  const res = await fetch(`${base}/version`);
  assert.deepEqual(await res.json(), { version: '9.9.9' });
  delete process.env.APP_VERSION;
});

test('unknown paths are 404', async () => {
  const res = await fetch(`${base}/nope`);
  assert.equal(res.status, 404);
});
