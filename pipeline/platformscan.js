// platformscan.js DIR: prints, as JSON, the facts that tie a node_modules
// tree to one platform: every compiled addon (*.node) with the package it
// is in (name@version), its path inside that package, and whether that
// package declares the platform it is for (os, cpu or libc in
// package.json: prebuilt bindings such as @node-rs/crc32-linux-x64-gnu);
// and every package that declares one. The pipeline decides what they mean
// (pipeline/platform.go). Symbolic links are not followed.
const fs = require("fs");
const path = require("path");

const root = process.argv[2];
const declares = (p) => ["os", "cpu", "libc"].some((k) => p[k] !== undefined);
const addons = [];
const specific = new Set();

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
        pkg = { dir, id: p.name + "@" + p.version, declares: declares(p) };
        if (pkg.declares) specific.add(pkg.id);
      }
    } catch {}
  }
  for (const e of entries) {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) walk(f, pkg);
    else if (e.isFile() && pkg && e.name.endsWith(".node")) {
      addons.push({ pkg: pkg.id, path: path.relative(pkg.dir, f).split(path.sep).join("/"), declares: pkg.declares });
    }
  }
}
walk(root, null);
addons.sort((a, b) => (a.pkg + a.path < b.pkg + b.path ? -1 : 1));
console.log(JSON.stringify({ addons, specific: [...specific].sort() }));
