// node -e <this> <command>, in the project directory: prints the file of
// the command a production dependency declares in its package.json "bin"
// (node_modules/<dep>/<file>), or nothing. Dependencies are tried in name
// order, so the answer never depends on package.json's key order.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const name = process.argv[1];
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const deps = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).sort();
for (const dep of deps) {
  let p;
  try {
    p = JSON.parse(fs.readFileSync(path.join('node_modules', dep, 'package.json'), 'utf8'));
  } catch {
    continue;
  }
  // A string bin is the command named after the package (without scope).
  const bins = typeof p.bin === 'string' ? { [String(p.name || dep).replace(/^@[^/]+\//, '')]: p.bin } : p.bin || {};
  if (typeof bins[name] === 'string') {
    process.stdout.write(path.posix.join('node_modules', dep, path.posix.normalize(bins[name])) + '\n');
    break;
  }
}
