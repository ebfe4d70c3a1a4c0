// platformscan.js DIR: prints, as JSON, what a node_modules tree holds
// that ties it to one platform: "native" packages that carry compiled
// addons (*.node) or compile at install (binding.gyp) without declaring
// the platform they are for, and "specific" packages that declare one
// (os, cpu or libc in package.json: prebuilt binaries such as
// @rollup/rollup-linux-x64-gnu or @esbuild/linux-x64). Symbolic links are
// not followed.
const fs = require("fs");
const path = require("path");

const root = process.argv[2];
const pkgs = new Map(); // package dir -> package.json
const hits = []; // [file, package dir]

function walk(dir, pkg) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  if (entries.some((e) => e.name === "package.json" && e.isFile())) {
    try {
      const p = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      if (p && typeof p.name === "string" && p.name !== "") {
        pkgs.set(dir, p);
        pkg = dir;
      }
    } catch {}
  }
  for (const e of entries) {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) walk(f, pkg);
    else if (e.isFile() && pkg && (e.name.endsWith(".node") || e.name === "binding.gyp")) hits.push([f, pkg]);
  }
}
walk(root, "");

const declares = (p) => ["os", "cpu", "libc"].some((k) => p[k] !== undefined);
const native = new Set();
const specific = new Set();
for (const [, dir] of hits) {
  const p = pkgs.get(dir);
  if (!declares(p)) native.add(p.name + "@" + p.version);
}
for (const p of pkgs.values()) {
  if (declares(p)) specific.add(p.name + "@" + p.version);
}
console.log(JSON.stringify({ native: [...native].sort(), specific: [...specific].sort() }));
