package pipeline

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"dagger.io/dagger"

	"dagger/immutable/nodeapp"
	"dagger/immutable/publish"
)

// Label keys that describe the app, taken from package.json (name,
// description, license). Without a value the label is removed, so the
// runtime base's own title never describes the app.
const (
	LabelTitle       = "org.opencontainers.image.title"
	LabelDescription = "org.opencontainers.image.description"
	LabelLicenses    = "org.opencontainers.image.licenses"
)

// baseOnlyLabels describe the runtime base, never the app: they are removed
// from the app image.
var baseOnlyLabels = []string{
	"org.opencontainers.image.url",
	"org.opencontainers.image.documentation",
	"org.opencontainers.image.authors",
	"org.opencontainers.image.vendor",
	"org.opencontainers.image.ref.name",
}

// reservedEnv are set by the build and cannot be given with --env.
var reservedEnv = map[string]string{
	"PORT":        "use --port",
	"APP_VERSION": "it is the version being released",
}

var envKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envVar is one KEY=VALUE.
type envVar struct{ key, value string }

// envVars are variables in the order given.
type envVars []envVar

// parseEnv parses KEY=VALUE pairs; flag names the option in errors.
func parseEnv(flag string, kvs []string) (envVars, error) {
	var out envVars
	seen := map[string]bool{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !envKey.MatchString(k) {
			return nil, fmt.Errorf("%s %q: want KEY=VALUE with KEY of letters, digits and _ (not starting with a digit)", flag, kv)
		}
		if seen[k] {
			return nil, fmt.Errorf("%s %s given twice", flag, k)
		}
		seen[k] = true
		out = append(out, envVar{k, v})
	}
	return out, nil
}

// Map returns the variables as a map.
func (e envVars) Map() map[string]string {
	m := make(map[string]string, len(e))
	for _, v := range e {
		m[v.key] = v.value
	}
	return m
}

// runtimeEnv checks BuildOptions.Env: no reserved names.
func runtimeEnv(kvs []string) (envVars, error) {
	env, err := parseEnv("--env", kvs)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	for _, v := range env {
		if why, ok := reservedEnv[v.key]; ok {
			return nil, fmt.Errorf("build: --env %s: the build sets %s itself (%s)", v.key, v.key, why)
		}
	}
	return env, nil
}

// writableDirs cleans BuildOptions.WritableDirs: a relative path is under
// AppDir; "/", AppDir itself, a parent of it and node_modules are refused
// (the app and its dependencies stay read-only). The result is sorted.
func writableDirs(dirs []string) ([]string, error) {
	var out []string
	for _, d := range dirs {
		p := d
		if !path.IsAbs(p) {
			p = path.Join(AppDir, p)
		}
		p = path.Clean(p)
		nm := path.Join(AppDir, "node_modules")
		switch {
		case d == "" || strings.Contains(d, ".."):
			return nil, fmt.Errorf("build: --writable-dir %q: give a directory such as /app/data or data (no ..)", d)
		case p == "/" || p == AppDir || strings.HasPrefix(AppDir, p+"/"):
			return nil, fmt.Errorf("build: --writable-dir %s: the app directory %s must stay read-only; use a directory inside it, e.g. %s/data", d, AppDir, AppDir)
		case p == nm || strings.HasPrefix(p, nm+"/"):
			return nil, fmt.Errorf("build: --writable-dir %s: node_modules must stay read-only", d)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

// appLabels are the labels package.json gives the image ("" = remove).
func appLabels(app *nodeapp.App) map[string]string {
	return map[string]string{
		LabelTitle:       app.Name,
		LabelDescription: app.Description,
		LabelLicenses:    app.License,
	}
}

// withRuntimeConfig writes the run-time configuration into the runtime
// image, after its entrypoint is set: the writable directories (empty,
// owned by RuntimeUser), --env variables, the arguments after the
// entrypoint (the image's Cmd), and no label of the base's that describes
// the base (labels holds appLabels; its empty values are removed). env and
// dirs come from runtimeEnv and writableDirs.
func withRuntimeConfig(c *dagger.Client, ctr *dagger.Container, o BuildOptions, env envVars, dirs []string, labels map[string]string) *dagger.Container {
	for _, d := range dirs {
		ctr = ctr.WithDirectory(d, c.Directory(), dagger.ContainerWithDirectoryOpts{Owner: RuntimeUser})
	}
	for _, v := range env {
		ctr = ctr.WithEnvVariable(v.key, v.value)
	}
	if len(o.Args) > 0 {
		ctr = ctr.WithDefaultArgs(o.Args)
	} else {
		ctr = ctr.WithoutDefaultArgs()
	}
	for _, k := range baseOnlyLabels {
		ctr = ctr.WithoutLabel(k)
	}
	for _, k := range sortedKeys(labels) {
		if labels[k] == "" {
			ctr = ctr.WithoutLabel(k)
		}
	}
	return ctr
}

// runtimeRecord is what the release record keeps of how img starts (nil
// if its config cannot be read, which Normalize already did).
func runtimeRecord(b *Build, img *Image) *publish.Runtime {
	cf, err := img.Image.ConfigFile()
	if err != nil {
		return nil
	}
	rt := &publish.Runtime{
		Entrypoint: cf.Config.Entrypoint,
		Cmd:        cf.Config.Cmd,
		Env:        cf.Config.Env,
		User:       cf.Config.User,
		WorkingDir: cf.Config.WorkingDir,
	}
	for p := range cf.Config.ExposedPorts {
		rt.ExposedPorts = append(rt.ExposedPorts, p)
	}
	slices.Sort(rt.ExposedPorts)
	rt.WritableDirs, _ = writableDirs(b.Options.WritableDirs)
	return rt
}
