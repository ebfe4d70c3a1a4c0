'use strict';

// A small HTTP service: the sample app the immutable pipeline builds.
// Routes: / (greeting), /healthz (liveness), /version (the released version).

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const ms = require('ms');

const startedAt = Date.now();

// appVersion returns the version the image was released as: APP_VERSION from
// the environment wins, then the version.json file written at build time.
function appVersion() {
  if (process.env.APP_VERSION) {
    return process.env.APP_VERSION;
  }
  try {
    const file = path.join(__dirname, 'version.json');
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  } catch {
    return 'dev';
  }
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}

function handler(req, res) {
  switch (new URL(req.url, 'http://localhost').pathname) {
    case '/':
      return send(res, 200, { message: 'Hello from the consumer team', uptime: ms(Date.now() - startedAt) });
    case '/healthz':
      return send(res, 200, { status: 'ok' });
    case '/version':
      return send(res, 200, { version: appVersion() });
    default:
      return send(res, 404, { error: 'not found' });
  }
}

function createServer() {
  return http.createServer(handler);
}

if (require.main === module) {
  const port = Number(process.env.PORT || 3000);
  const server = createServer().listen(port, () => {
    console.log(`listening on :${port} (version ${appVersion()})`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

module.exports = { createServer, appVersion };
