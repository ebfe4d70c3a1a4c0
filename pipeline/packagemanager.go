package pipeline

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"dagger.io/dagger"

	"dagger/immutable/lockfile"
	"dagger/immutable/nodeapp"
)

//go:embed pmfetch.js
var pmFetchScript string

// pmDir is where a yarn or pnpm project's package manager is unpacked in
// the builder; pmDir/.bin is first on PATH.
const pmDir = "/opt/immutable-pm"

// pmCache is a package manager's download cache: a Dagger cache volume,
// never a layer.
type pmCache struct{ volume, path string }

// installSpec says how one package manager installs a project: frozen
// (the lockfile as committed, or fail), production only for the runtime
// layer, everything for the dev container.
type installSpec struct {
	// prod installs production dependencies into /src/node_modules and
	// removes the package manager's install-state files (they carry times
	// and store paths, and nothing reads them at run time).
	prod []string
	// all installs every dependency, dev included.
	all   []string
	env   [][2]string
	cache *pmCache
}

// pnpmFlags keep pnpm's store in the cache volume, copy files out of it
// (no hard links into a volume) and stop pnpm from switching itself to
// another version.
const pnpmFlags = "--store-dir /root/.local/share/pnpm/store --package-import-method=copy --config.manage-package-manager-versions=false --reporter=append-only"

// installSpecs are the install commands of each lockfile kind. npm's are
// the historical ones, unchanged (their cache keys stay the same).
var installSpecs = map[lockfile.Kind]installSpec{
	lockfile.NPM: {
		prod: []string{"sh", "-c", "npm ci --omit=dev --no-audit --no-fund && mkdir -p node_modules"},
		all:  []string{"npm", "ci", "--no-audit", "--no-fund"},
	},
	lockfile.YarnClassic: {
		prod:  []string{"sh", "-c", "yarn install --frozen-lockfile --production --non-interactive --no-progress && mkdir -p node_modules && rm -f node_modules/.yarn-integrity"},
		all:   []string{"yarn", "install", "--frozen-lockfile", "--non-interactive", "--no-progress"},
		env:   [][2]string{{"YARN_CACHE_FOLDER", "/usr/local/share/.cache/yarn"}},
		cache: &pmCache{"immutable-yarn", "/usr/local/share/.cache/yarn"},
	},
	// `yarn workspaces focus` does not honour --immutable (it resolves
	// what the lockfile lacks), so `yarn install --immutable` checks the
	// lockfile first.
	lockfile.YarnBerry: {
		prod: []string{"sh", "-c", "yarn install --immutable --mode=skip-build && yarn workspaces focus --all --production && mkdir -p node_modules && rm -f node_modules/.yarn-state.yml"},
		all:  []string{"yarn", "install", "--immutable"},
		env: [][2]string{
			{"YARN_ENABLE_IMMUTABLE_INSTALLS", "true"},
			{"YARN_ENABLE_GLOBAL_CACHE", "true"},
			{"YARN_GLOBAL_FOLDER", "/root/.yarn/berry"},
			{"YARN_ENABLE_TELEMETRY", "0"},
			{"YARN_ENABLE_PROGRESS_BARS", "false"},
			{"YARN_ENABLE_COLORS", "false"},
			// The version comes from packageManager, never from a
			// committed .yarn/releases file named by yarnPath.
			{"YARN_IGNORE_PATH", "1"},
		},
		cache: &pmCache{"immutable-yarn-berry", "/root/.yarn/berry"},
	},
	lockfile.PNPM: {
		prod:  []string{"sh", "-c", "pnpm install --frozen-lockfile --prod " + pnpmFlags + " && mkdir -p node_modules && rm -f node_modules/.modules.yaml node_modules/.pnpm-workspace-state-v1.json node_modules/.pnpm/lock.yaml"},
		all:   append([]string{"pnpm", "install", "--frozen-lockfile"}, strings.Fields(pnpmFlags)...),
		cache: &pmCache{"immutable-pnpm", "/root/.local/share/pnpm/store"},
	},
}

// pmConfigFiles are package manager files copied next to package.json in
// the builder when the source has them (read by readManifests).
var pmConfigFiles = []string{".yarnrc.yml", "pnpm-workspace.yaml"}

// withPackageManager adds what the app's package manager needs to a
// builder that has package.json: its lockfile and configuration files,
// and for yarn and pnpm the tool itself, fetched by exact version and
// checked against its hash, on PATH, with its cache volume.
func withPackageManager(c *dagger.Client, o BuildOptions, ctr *dagger.Container, pm nodeapp.PackageManager, files nodeapp.Files, npmrc bool) *dagger.Container {
	ctr = ctr.WithFile("/src/"+pm.Kind.File(), o.Source.File(pm.Kind.File()))
	for _, f := range pmConfigFiles {
		if _, ok := files[f]; ok {
			ctr = ctr.WithFile("/src/"+f, o.Source.File(f))
		}
	}
	spec := installSpecs[pm.Kind]
	if pm.Package != "" {
		ctr = ctr.
			WithDirectory(pmDir, fetchPackageManager(c, o, pm, npmrc)).
			WithNewFile(pmDir+"/.bin/"+pm.Kind.Tool(), "#!/bin/sh\nexec node "+pmDir+"/"+pm.Bin+" \"$@\"\n", dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
			WithEnvVariable("PATH", pmDir+"/.bin:${PATH}", dagger.ContainerWithEnvVariableOpts{Expand: true})
	}
	for _, kv := range spec.env {
		ctr = ctr.WithEnvVariable(kv[0], kv[1])
	}
	if spec.cache != nil {
		ctr = withCache(c, o, ctr, spec.cache.volume, spec.cache.path)
	}
	return ctr
}

// withCache mounts a download cache: a cache volume shared by the engine's
// builds, or, with an npm token, a temporary directory of this build, so
// packages fetched with the token never sit where a build without it could
// install them from.
func withCache(c *dagger.Client, o BuildOptions, ctr *dagger.Container, volume, path string) *dagger.Container {
	if o.NpmToken != nil {
		return ctr.WithMountedTemp(path)
	}
	if o.CacheBust != "" {
		volume += "-" + o.CacheBust
	}
	return ctr.WithMountedCache(path, c.CacheVolume(volume))
}

// fetchPackageManager returns the unpacked npm package of pm, fetched by
// exact version with `npm pack` (through the project's .npmrc and private
// registry, if any) and checked against pm.Digest by pmfetch.js. Its cache
// key is the base, the version and the hash: not the app's manifests.
func fetchPackageManager(c *dagger.Client, o BuildOptions, pm nodeapp.PackageManager, npmrc bool) *dagger.Directory {
	ctr := npmContainer(c, o)
	if npmrc {
		ctr = ctr.WithFile("/src/.npmrc", o.Source.File(".npmrc"))
	}
	digest := pm.Digest
	if digest == "" {
		digest = "-"
	}
	ctr = ctr.WithNewFile("/usr/local/lib/immutable/pmfetch.js", pmFetchScript)
	return npmExec(ctr, o, []string{"node", "/usr/local/lib/immutable/pmfetch.js", pm.Package, pm.Version, digest, pm.Bin, pmDir}).
		Directory(pmDir)
}

// scriptArgs is the command that runs a package.json script with the
// app's package manager.
func scriptArgs(kind lockfile.Kind, script string) []string {
	return []string{kind.Tool(), "run", script}
}

// checkInstall runs a yarn or pnpm production install now, so that a
// lockfile the tool refuses is reported as nodeapp.ErrLockfile with the
// tool's own words, and a package manager whose hash does not match as
// nodeapp.ErrPackageManager. npm's lockfile is checked by nodeapp before.
func checkInstall(ctx context.Context, kind lockfile.Kind, install *dagger.Container) error {
	if kind == lockfile.NPM {
		return nil
	}
	_, err := install.Sync(ctx)
	if err == nil {
		return nil
	}
	var ee *dagger.ExecError
	if !errors.As(err, &ee) {
		return fmt.Errorf("build: %s install: %w", kind.Tool(), err)
	}
	out := ee.Stdout + "\n" + ee.Stderr
	switch {
	case strings.Contains(out, "IMMUTABLE_PM_DIGEST_MISMATCH"):
		return fmt.Errorf("build: %w: %s; fix the hash in package.json's packageManager (`corepack use %s@<version>` rewrites it)", nodeapp.ErrPackageManager, toolLines(out, "IMMUTABLE_PM_DIGEST_MISMATCH "), kind.Tool())
	case frozenRefusal(out):
		return fmt.Errorf("build: %w: %s does not match package.json, %s says: %s; run `%s install` and commit %s", nodeapp.ErrLockfile, kind.File(), kind.Tool(), toolLines(out, ""), kind.Tool(), kind.File())
	}
	return fmt.Errorf("build: %s install failed (exit %d): %s", kind.Tool(), ee.ExitCode, toolLines(out, ""))
}

// frozenMarkers are what yarn 1, yarn berry and pnpm print when a frozen
// install would have to change the lockfile.
var frozenMarkers = []string{
	"Your lockfile needs to be updated",               // yarn 1
	"The lockfile would have been modified",           // yarn berry (YN0028)
	"ERR_PNPM_OUTDATED_LOCKFILE",                      // pnpm
	"ERR_PNPM_LOCKFILE_CONFIG_MISMATCH",               // pnpm
	"ERR_PNPM_LOCKFILE_MISSING_DEPENDENCY",            // pnpm
	"ERR_PNPM_FROZEN_LOCKFILE_WITH_OUTDATED_LOCKFILE", // pnpm
}

func frozenRefusal(out string) bool {
	for _, m := range frozenMarkers {
		if strings.Contains(out, m) {
			return true
		}
	}
	return false
}

// toolLines keeps the informative lines of a tool's output (errors first,
// at most 12), with prefix trimmed.
func toolLines(out, prefix string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "[") || strings.HasSuffix(l, "Completed") || strings.Contains(l, "┌") {
			continue
		}
		if prefix != "" {
			if !strings.Contains(l, prefix) {
				continue
			}
			l = strings.TrimSpace(l[strings.Index(l, prefix)+len(prefix):])
		}
		keep = append(keep, l)
	}
	if len(keep) > 12 {
		keep = keep[len(keep)-12:]
	}
	return strings.Join(keep, " | ")
}
