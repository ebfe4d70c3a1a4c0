package pipeline

import (
	"strconv"

	"dagger.io/dagger"
)

// runtimeStage is what every platform's runtime image is made of besides
// its base and dependency tree: the app files and the run-time config.
type runtimeStage struct {
	o          BuildOptions
	appFiles   *dagger.Directory
	entrypoint []string
	env        envVars
	dirs       []string
	described  map[string]string
}

// container stacks the stage on base for platform. It only adds files to
// the base and sets config: no command runs in it, so it needs no
// emulation for another architecture.
func (s runtimeStage) container(c *dagger.Client, platform, base string, deps *dagger.Directory, labels map[string]string) *dagger.Container {
	o := s.o
	runtime := platformContainer(c, platform).From(base).
		WithDirectory(AppDir+"/node_modules", deps, dagger.ContainerWithDirectoryOpts{Owner: "0:0"}).
		WithDirectory(AppDir, s.appFiles, dagger.ContainerWithDirectoryOpts{Owner: "0:0"}).
		WithWorkdir(AppDir).
		WithUser(RuntimeUser).
		WithEnvVariable("NODE_ENV", "production").
		WithEnvVariable("APP_VERSION", o.Version)
	if !o.Worker {
		runtime = runtime.
			WithEnvVariable("PORT", strconv.Itoa(o.Port)).
			WithExposedPort(o.Port)
	}
	runtime = withRuntimeConfig(c, runtime.WithEntrypoint(s.entrypoint), o, s.env, s.dirs, s.described)
	for _, k := range sortedKeys(labels) {
		runtime = runtime.WithLabel(k, labels[k])
	}
	return runtime
}
