package nodeapp

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
	"gopkg.in/yaml.v3"

	"dagger/immutable/lockfile"
)

// PackageManager is the tool that installs a project's dependencies and the
// exact version of it to fetch.
type PackageManager struct {
	// Kind is the lockfile format, which says which tool: npm, yarn
	// classic, yarn berry or pnpm.
	Kind lockfile.Kind
	// Package is the tool's npm package ("yarn", "@yarnpkg/cli-dist",
	// "pnpm"); "" for npm, which comes with the builder base.
	Package string
	// Version is the exact version to fetch ("" for npm).
	Version string
	// Digest is the expected hash of the package's registry tarball,
	// "<algo>:<hex>" (sha512, sha256, sha224 or sha1): from packageManager's
	// "+sha512.<hex>" when given, else the pinned default's integrity. ""
	// when packageManager names a version without a hash: the registry's
	// own integrity for that exact version is then the only check.
	Digest string
	// Bin is the tool's entry file inside the package ("bin/yarn.js").
	Bin string
	// FromPackageJSON is true when the version comes from packageManager.
	FromPackageJSON bool
}

// pin is a package manager version fetched when package.json names none.
type pin struct{ pkg, version, integrity, bin string }

// Default versions, fetched by exact version and checked against these
// integrities (`npm view <pkg>@<version> dist.integrity`).
var defaultPins = map[lockfile.Kind]pin{
	lockfile.YarnClassic: {"yarn", "1.22.22", "sha512-prL3kGtyG7o9Z9Sv8IPfBNrWTDmXB4Qbes8A9rEzt6wkJV8mUvoirjU0Mp3GGAU06Y0XQyA3/2/RQFVuK7MTfg==", "bin/yarn.js"},
	lockfile.YarnBerry:   {"@yarnpkg/cli-dist", "4.18.1", "sha512-EH+A4TxAtBWXKE0DGQxW9Bo9crXHLJ73mfxjTQJuv8XonNWWTpei8BQ5JjczHJNU9GROTycwMFn8iOvRIZXUcA==", "bin/yarn.js"},
	lockfile.PNPM:        {"pnpm", "10.34.9", "sha512-9JtajqD97bRLs8DB1ldQkqU8KVDZW3rRXfEfF5dId6LeOgHAfpNOmyjOcW5RwJqUlixzBtCb4uHksYqMh2L9Mg==", "bin/pnpm.cjs"},
}

// DefaultPackageManager returns the pinned version used for kind when
// package.json has no packageManager.
func DefaultPackageManager(kind lockfile.Kind) (PackageManager, bool) {
	p, ok := defaultPins[kind]
	if !ok {
		return PackageManager{Kind: kind}, false
	}
	return PackageManager{Kind: kind, Package: p.pkg, Version: p.version, Digest: sriDigest(p.integrity), Bin: p.bin}, true
}

// berryLockfileVersion is the __metadata version the default yarn berry
// writes; another version means another yarn wrote the lockfile.
const berryLockfileVersion = 10

// packageManagerField matches package.json's packageManager:
// <name>@<version>[+<algo>.<hex>].
var packageManagerField = regexp.MustCompile(`^(npm|yarn|pnpm|bun)@([0-9A-Za-z.+-]+?)(?:\+(sha1|sha224|sha256|sha512)\.([0-9a-f]+))?$`)

// hexLen is the length of each algorithm's hex digest.
var hexLen = map[string]int{"sha1": 40, "sha224": 56, "sha256": 64, "sha512": 128}

// detectPackageManager decides the package manager from the lockfile
// present, package.json's packageManager and .yarnrc.yml.
func detectPackageManager(files Files, field string) (PackageManager, error) {
	for _, bun := range []string{"bun.lockb", "bun.lock"} {
		if _, ok := files[bun]; ok {
			return PackageManager{}, fmt.Errorf("%w: found %s: bun is not supported; use npm, yarn or pnpm and commit its lockfile", ErrPackageManager, bun)
		}
	}
	kind, err := lockfile.Detect(files)
	if err != nil {
		if _, ok := files["package-lock.json"]; !ok && (field == "" || strings.HasPrefix(field, "npm@")) {
			return PackageManager{}, fmt.Errorf("%w: package-lock.json not found: dependencies are installed only from a lockfile (`npm ci`); create it with `npm install --package-lock-only` and commit it (or commit yarn.lock / pnpm-lock.yaml)", ErrLockfile)
		}
		return PackageManager{}, fmt.Errorf("%w: %w", ErrLockfile, err)
	}
	pm, _ := DefaultPackageManager(kind)
	if field != "" {
		if pm, err = fromField(kind, field); err != nil {
			return PackageManager{}, err
		}
	}
	switch kind {
	case lockfile.YarnBerry:
		err = checkBerry(files, pm)
	case lockfile.PNPM:
		err = checkPNPM(files)
	}
	return pm, err
}

// fromField reads package.json's packageManager and checks it names the
// tool of the lockfile, in a version that can read it.
func fromField(kind lockfile.Kind, field string) (PackageManager, error) {
	m := packageManagerField.FindStringSubmatch(field)
	if m == nil {
		return PackageManager{}, fmt.Errorf("%w: package.json packageManager %q: want <name>@<exact version>[+sha512.<hex>], e.g. \"pnpm@10.34.9\" (`corepack use pnpm@10.34.9` writes it)", ErrPackageManager, field)
	}
	tool, version, algo, digest := m[1], m[2], m[3], m[4]
	if tool != kind.Tool() {
		return PackageManager{}, fmt.Errorf("%w: package.json packageManager is %q but the lockfile is %s (%s): make them agree (`%s install` with the right tool, or change packageManager) and commit", ErrPackageManager, field, kind.File(), kind.Tool(), tool)
	}
	if kind == lockfile.NPM {
		// npm comes with the builder base; packageManager's npm version is
		// not fetched.
		return PackageManager{Kind: kind}, nil
	}
	v, err := semver.StrictNewVersion(version)
	if err != nil {
		return PackageManager{}, fmt.Errorf("%w: package.json packageManager %q: %q is not an exact version", ErrPackageManager, field, version)
	}
	if algo != "" && len(digest) != hexLen[algo] {
		return PackageManager{}, fmt.Errorf("%w: package.json packageManager %q: a %s hash has %d hex digits, not %d", ErrPackageManager, field, algo, hexLen[algo], len(digest))
	}
	pm := PackageManager{Kind: kind, Version: version, FromPackageJSON: true}
	switch kind {
	case lockfile.YarnClassic:
		if v.Major() != 1 {
			return PackageManager{}, fmt.Errorf("%w: package.json packageManager is %q but yarn.lock is a yarn 1 (classic) lockfile: run `yarn install` with yarn %s and commit yarn.lock, or set packageManager to yarn@1.x", ErrPackageManager, field, version)
		}
		pm.Package, pm.Bin = "yarn", "bin/yarn.js"
	case lockfile.YarnBerry:
		if v.Major() < 4 {
			return PackageManager{}, fmt.Errorf("%w: package.json packageManager is %q: yarn berry is supported from yarn 4 (its production install, `yarn workspaces focus --production`, is built in); run `yarn set version 4` and `yarn install`, and commit", ErrPackageManager, field)
		}
		pm.Package, pm.Bin = "@yarnpkg/cli-dist", "bin/yarn.js"
	case lockfile.PNPM:
		if v.Major() < 9 {
			return PackageManager{}, fmt.Errorf("%w: package.json packageManager is %q: pnpm 9 or later is supported (lockfileVersion 9); run `corepack use pnpm@10` and commit pnpm-lock.yaml", ErrPackageManager, field)
		}
		pm.Package, pm.Bin = "pnpm", "bin/pnpm.cjs"
	}
	if algo != "" {
		pm.Digest = algo + ":" + digest
	} else if d, ok := DefaultPackageManager(kind); ok && d.Version == version {
		pm.Digest = d.Digest
	}
	return pm, nil
}

// checkBerry refuses Plug'n'Play and lockfiles the default yarn cannot
// read without rewriting them.
func checkBerry(files Files, pm PackageManager) error {
	var rc struct {
		NodeLinker string `yaml:"nodeLinker"`
	}
	if raw, ok := files[".yarnrc.yml"]; ok {
		if err := yaml.Unmarshal(raw, &rc); err != nil {
			return fmt.Errorf("%w: .yarnrc.yml: %w", ErrPackageManager, err)
		}
	}
	if rc.NodeLinker != "node-modules" {
		linker := rc.NodeLinker
		if linker == "" {
			linker = "pnp (yarn's default)"
		}
		return fmt.Errorf("%w: yarn berry with nodeLinker %s is not supported: the image runs `node <entrypoint>` on a node_modules tree; add `nodeLinker: node-modules` to .yarnrc.yml, run `yarn install` and commit .yarnrc.yml and yarn.lock", ErrPackageManager, linker)
	}
	if pm.FromPackageJSON {
		return nil
	}
	meta, err := lockfile.ParseBerryMetadata(files["yarn.lock"])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLockfile, err)
	}
	if meta.Version != berryLockfileVersion {
		return fmt.Errorf("%w: yarn.lock has __metadata version %d but package.json has no packageManager, and the default yarn %s writes version %d: set packageManager to the yarn that wrote it (`yarn set version <version>` writes it) and commit", ErrPackageManager, meta.Version, pm.Version, berryLockfileVersion)
	}
	return nil
}

// checkPNPM refuses lockfiles older than pnpm 9's format.
func checkPNPM(files Files) error {
	v, err := lockfile.PNPMLockfileVersion(files["pnpm-lock.yaml"])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLockfile, err)
	}
	if !strings.HasPrefix(v, "9.") {
		return fmt.Errorf("%w: pnpm-lock.yaml has lockfileVersion %q: pnpm 9 or later (lockfileVersion 9.0) is supported; run `pnpm install` with pnpm 9 or later and commit pnpm-lock.yaml", ErrLockfile, v)
	}
	return nil
}

// sriDigest turns an SRI integrity ("sha512-<base64>") into "sha512:<hex>".
func sriDigest(integrity string) string {
	algo, b64, ok := strings.Cut(integrity, "-")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil {
		panic("nodeapp: bad pinned integrity " + integrity)
	}
	return algo + ":" + hex.EncodeToString(raw)
}
