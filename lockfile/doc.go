// Package lockfile reads the lockfiles of the Node.js package managers the
// build supports — npm (package-lock.json, lockfileVersion 2 and 3), yarn
// classic (yarn.lock v1), yarn berry (yarn.lock with __metadata, yarn 2 and
// later) and pnpm (pnpm-lock.yaml, lockfileVersion 9) — into one Graph:
// every locked package with its name, version, integrity, license (npm
// only) and whether only development dependencies need it.
//
// The SBOM, the image's dev-dependency check and the project's own sync
// check all read lockfiles through this package, so the four formats are
// handled in one place. It works on file contents only.
//
// No well-kept Go parser covers these formats without a large dependency
// tree (syft and trivy carry hundreds of modules), so the two YAML formats
// are read with gopkg.in/yaml.v3 and yarn classic's own format by a small
// parser here; the tests run on lockfiles written by the real tools
// (testdata/ and fixtures/).
package lockfile
