// Fetches a package manager from the npm registry by exact version and
// checks its hash: node pmfetch.js <package> <version> <algo:hex|-> <bin> <dest>
// The tarball comes through `npm pack` (the project's .npmrc applies, and
// npm checks the registry's integrity); the hash is then checked against
// the one given (package.json's packageManager hash or the pinned default),
// on the tarball or, as corepack hashes yarn berry, on its bin file.
'use strict';

const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const [pkg, version, digest, bin, dest] = process.argv.slice(2);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pm-'));
const out = execFileSync('npm', ['pack', `${pkg}@${version}`, '--json', '--pack-destination', tmp], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
const tarball = path.join(tmp, JSON.parse(out)[0].filename);
fs.mkdirSync(dest, { recursive: true });
execFileSync('tar', ['-xzf', tarball, '-C', dest, '--strip-components=1', '--no-same-owner']);
if (digest !== '-') {
  const [algo, want] = digest.split(':');
  const hash = (file) => crypto.createHash(algo).update(fs.readFileSync(file)).digest('hex');
  const got = hash(tarball);
  if (got !== want && hash(path.join(dest, bin)) !== want) {
    console.error(`IMMUTABLE_PM_DIGEST_MISMATCH ${pkg}@${version}: the registry tarball's ${algo} is ${got}, expected ${want}`);
    process.exit(1);
  }
  console.log(`${pkg}@${version}: ${algo} ${got} verified`);
} else {
  console.log(`${pkg}@${version}: no hash given, npm checked the registry's integrity`);
}
fs.rmSync(tmp, { recursive: true, force: true });
