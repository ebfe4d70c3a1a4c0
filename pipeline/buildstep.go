package pipeline

import (
	"strconv"

	"dagger.io/dagger"

	"dagger/immutable/nodeapp"
)

// BuildScript is the package.json script run before the app layer is taken
// (TypeScript to dist/, a bundler, node-gyp for an addon in the app's own
// tree), in the builder with every dependency, dev included.
const BuildScript = "build"

// installEpoch is SOURCE_DATE_EPOCH in the dependency install steps:
// compilers (__DATE__, __TIME__) and tools that honour it write this time,
// so an addon compiled by `npm ci` is the same in every build. It is fixed,
// not BuildOptions.Epoch, so the install step's cache key depends only on
// the manifests and a new commit still reuses the dependency layer.
// 315532800 is 1980-01-01, the earliest time a zip file can hold.
const installEpoch = 315532800

// withNativeBuildEnv sets the environment native addon builds need to be
// reproducible: no Python bytecode from node-gyp's gyp (it embeds source
// times), and a fixed SOURCE_DATE_EPOCH.
func withNativeBuildEnv(ctr *dagger.Container) *dagger.Container {
	return ctr.
		WithEnvVariable("PYTHONDONTWRITEBYTECODE", "1").
		WithEnvVariable("SOURCE_DATE_EPOCH", strconv.Itoa(installEpoch))
}

// appTree returns the dev container unit tests and lint run in, and the
// app layer's files. Without a build script both come from the source as
// it is. With one, `<npm|yarn|pnpm> run build` (the app's package manager,
// as for tests and lint) runs in dev (SOURCE_DATE_EPOCH is the
// build's epoch) and the app layer is the tree it leaves: the source plus
// the build output, without node-gyp intermediates, still filtered by
// ignore (.dockerignore and the always-excluded paths, node_modules among
// them: production dependencies are their own layer).
func appTree(c *dagger.Client, o BuildOptions, app *nodeapp.App, dev *dagger.Container, ignore []string) (*dagger.Container, *dagger.Directory) {
	epoch := int(o.Epoch.Unix())
	src := o.Source
	if _, ok := app.Scripts[BuildScript]; ok {
		dev = dev.
			WithEnvVariable("SOURCE_DATE_EPOCH", strconv.Itoa(epoch)).
			WithExec(scriptArgs(app.PackageManager.Kind, BuildScript))
		src = dev.
			WithExec([]string{"sh", "-c", removeBuildResidue, "sh", "/src", "app"}).
			Directory("/src")
	}
	files := c.Directory().
		WithDirectory("/", src, dagger.DirectoryWithDirectoryOpts{Exclude: ignore}).
		WithTimestamps(epoch)
	return dev, files
}

// withoutBuildResidue removes what native addon builds leave in dir
// (node_modules in a builder container) that is not needed at run time.
func withoutBuildResidue(ctr *dagger.Container, dir string) *dagger.Container {
	return ctr.WithExec([]string{"sh", "-c", removeBuildResidue, "sh", dir, "deps"})
}

// removeBuildResidue is a shell script: sh -c removeBuildResidue sh DIR
// MODE. In DIR (below node_modules too in MODE deps, not in MODE app, whose
// node_modules never reach the image) it deletes Python bytecode and, in
// every node-gyp build directory (one with a config.gypi), everything but
// Release/ and Debug/, and there the object files, dependency files, static
// archives and stamps. The addon (*.node) and shared libraries it links
// (lib.target/*.so) stay. These files carry build paths and times, and
// nothing loads them at run time.
const removeBuildResidue = `set -eu
cd "$1"
prune=""
if [ "$2" = app ]; then prune="-name node_modules -prune -o"; fi
find . $prune -name __pycache__ -type d -prune -exec rm -rf {} + -o -name '*.pyc' -type f -exec rm -f {} +
find . $prune -path '*/build/config.gypi' -type f -print | while IFS= read -r f; do
	b=$(dirname "$f")
	for e in "$b"/* "$b"/.[!.]*; do
		[ -e "$e" ] || [ -L "$e" ] || continue
		case "${e##*/}" in Release|Debug) ;; *) rm -rf "$e" ;; esac
	done
	for d in "$b/Release" "$b/Debug"; do
		[ -d "$d" ] || continue
		rm -rf "$d/obj.target" "$d/obj" "$d/.deps"
		find "$d" -type f \( -name '*.o' -o -name '*.d' -o -name '*.a' -o -name '*.stamp' -o -name '*.TOC' \) -exec rm -f {} +
	done
done
`
