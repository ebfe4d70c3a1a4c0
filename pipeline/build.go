package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/name"
	"golang.org/x/sync/errgroup"

	"dagger/immutable/checks"
	"dagger/immutable/lockfile"
	"dagger/immutable/nodeapp"
)

// Label keys written on every runtime image.
const (
	LabelVersion    = "org.opencontainers.image.version"
	LabelRevision   = "org.opencontainers.image.revision"
	LabelSource     = "org.opencontainers.image.source"
	LabelCreated    = "org.opencontainers.image.created"
	LabelBaseName   = "org.opencontainers.image.base.name"
	LabelBaseDigest = "org.opencontainers.image.base.digest"
	// LabelUnpinned is "true" when a base was given by tag with AllowUnpinnedBase.
	LabelUnpinned = "dev.immutable.base.unpinned"
)

// DefaultPort is the port the app listens on when BuildOptions.Port is 0.
const DefaultPort = 3000

// AppDir is where the app lives in the runtime image.
const AppDir = "/app"

// RuntimeUser is the non-root uid:gid the runtime image runs as.
const RuntimeUser = "1000:1000"

// BuildOptions are the pinned inputs of a build.
type BuildOptions struct {
	// Source is the Node.js project directory (package.json at its root).
	Source *dagger.Directory
	// RuntimeBase and BuilderBase are image references pinned by digest
	// (repo@sha256:… or repo:tag@sha256:…). Empty means the project's
	// bases (see defaultBases).
	RuntimeBase, BuilderBase string
	// Platforms are the platforms to build, e.g. ["linux/amd64",
	// "linux/arm64"] (see SupportedPlatforms); empty means NativePlatform
	// alone. More than one makes an OCI image index with one image per
	// platform: the app and dependency layers are built once and shared,
	// each stacked on that platform's runtime base.
	Platforms []string
	// PlatformBases are runtime bases of the platforms after the native
	// one, by platform ("linux/arm64" -> repo@sha256:…). A platform not
	// named uses the project's locked base for it when RuntimeBase is the
	// default, else RuntimeBase itself (then an image index).
	PlatformBases map[string]string
	// AllowUnpinnedBase accepts bases given by tag; the image is then
	// labelled dev.immutable.base.unpinned=true.
	AllowUnpinnedBase bool
	// Version is the release version written to labels and APP_VERSION.
	Version string
	// Revision is the source revision (e.g. a git commit); "" means
	// "unknown".
	Revision string
	// SourceURL is the org.opencontainers.image.source label; "" means
	// "unknown".
	SourceURL string
	// Epoch is SOURCE_DATE_EPOCH: every timestamp in the image.
	Epoch time.Time
	// Entrypoint overrides the file node runs; "" derives it from package.json.
	Entrypoint string
	// Port is the port the app listens on and the image exposes (default 3000).
	Port int
	// CacheBust, when set, makes every build step run again instead of
	// reusing cached results (the pinned bases are still reused).
	CacheBust string
	// NpmToken authenticates `npm ci` to a private npm registry. It is in
	// $NPM_TOKEN (NpmTokenEnv) during the `npm ci` steps only, for the
	// project's .npmrc to use: //host:port/:_authToken=${NPM_TOKEN}. It
	// reaches no layer and does not change the image digest. The default
	// (nil) sets no token.
	NpmToken *dagger.Secret
	// NpmRegistry is a private npm registry the `npm ci` steps reach as
	// NpmRegistryHost, e.g. c.Host().Service for one on the caller's
	// machine. The default (nil) binds none.
	NpmRegistry *dagger.Service
	// NpmRegistryHost is the host name NpmRegistry is bound to (default
	// "npm-registry", DefaultNpmRegistryHost); .npmrc and package-lock.json
	// name it.
	NpmRegistryHost string
	// Env are KEY=VALUE variables written into the image config (part of
	// the digest), in order. NODE_ENV may be overridden; PORT and
	// APP_VERSION are the build's. Never secrets: the config is public.
	Env []string
	// Args follow the entrypoint: the image's Cmd, so the app starts as
	// `node <entrypoint> <args…>` (e.g. ["data.json"]).
	Args []string
	// WritableDirs are directories created empty in the image, owned by
	// RuntimeUser, for an app that writes files (e.g. /app/data; a relative
	// path is under AppDir). Everything else but /tmp is read-only to the
	// app.
	WritableDirs []string
	// Worker is an app that listens on no port: no port is exposed, PORT is
	// not set, and the smoke test only checks that it keeps running. Port
	// must then be 0 or DefaultPort.
	Worker bool
	// Smoke says how the smoke test judges the app. It is not part of the
	// image.
	Smoke SmokeOptions
}

// Build is a built, not yet normalized, application.
type Build struct {
	Options BuildOptions
	// App is what package.json says about the project.
	App *nodeapp.App
	// Platforms are every platform's runtime image as Dagger built it, the
	// native one first.
	Platforms []PlatformBuild
	// Dev is the builder with the source and all dependencies, dev included:
	// unit tests and lint run here.
	Dev *dagger.Container
	// Labels are the OCI labels on Runtime.
	Labels map[string]string
	// NodeVersion is the Node.js version of the bases, e.g. v24.21.0.
	NodeVersion string
	// Lockfile is the source's lockfile (package-lock.json, yarn.lock or
	// pnpm-lock.yaml, as App.PackageManager.Kind says).
	Lockfile []byte
	// Deps is the lockfile read: the packages, and which are dev-only.
	Deps *lockfile.Graph
	// Accept are the findings the source's checks.AcceptFile accepts.
	Accept []checks.Acceptance
	// Excludes are the patterns that keep files out of the app layer: the
	// defaults, then .dockerignore's (layerExcludes).
	Excludes []string
}

// BuildApp validates the inputs and defines the builder and runtime
// containers. Dagger runs them lazily: the first export or exec does the work.
func BuildApp(ctx context.Context, c *dagger.Client, o BuildOptions) (*Build, error) {
	if o.Source == nil {
		return nil, fmt.Errorf("build: no source directory")
	}
	if o.Version == "" {
		o.Version = "0.0.0-dev"
	}
	if o.Worker && o.Port != 0 && o.Port != DefaultPort {
		return nil, fmt.Errorf("build: --worker with --port %d: a worker listens on no port; drop one of them", o.Port)
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.Port < 1 || o.Port > 65535 {
		return nil, fmt.Errorf("build: --port %d: want 1-65535 (or --worker for an app with no port)", o.Port)
	}
	env, err := runtimeEnv(o.Env)
	if err != nil {
		return nil, err
	}
	dirs, err := writableDirs(o.WritableDirs)
	if err != nil {
		return nil, err
	}
	if o.Smoke, err = o.Smoke.withDefaults(); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	if o.Revision == "" {
		o.Revision = "unknown"
	}
	if o.SourceURL == "" {
		o.SourceURL = "unknown"
	}
	host, err := npmRegistryHost(o)
	if err != nil {
		return nil, err
	}
	o.NpmRegistryHost = host
	if o.Platforms, err = parsePlatforms(o.Platforms); err != nil {
		return nil, err
	}
	defaultRuntime := o.RuntimeBase == ""
	if err := defaultBases(ctx, c, &o); err != nil {
		return nil, err
	}
	runtimeDigest, err := checkPinned("runtime", o.RuntimeBase, o.AllowUnpinnedBase)
	if err != nil {
		return nil, err
	}
	// Each platform's runtime base and the digest it is pinned by.
	platforms := []PlatformBuild{{Platform: NativePlatform, RuntimeBase: o.RuntimeBase, BaseDigest: runtimeDigest}}
	for _, p := range o.Platforms[1:] {
		pb := PlatformBuild{Platform: p}
		if pb.RuntimeBase, err = platformBase(o, p, defaultRuntime); err != nil {
			return nil, err
		}
		if pb.BaseDigest, err = checkPinned(p+" runtime", pb.RuntimeBase, o.AllowUnpinnedBase); err != nil {
			return nil, err
		}
		platforms = append(platforms, pb)
	}
	if _, err := checkPinned("builder", o.BuilderBase, o.AllowUnpinnedBase); err != nil {
		return nil, err
	}
	files, hasNpmrc, err := readManifests(ctx, o.Source)
	if err != nil {
		return nil, err
	}
	app, err := nodeapp.Inspect(files, o.Entrypoint)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	accept, err := checks.ParseAccept(files[checks.AcceptFile])
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	ignore := layerExcludes(string(files[".dockerignore"]))

	deps, err := lockfile.ParseKind(app.PackageManager.Kind, files)
	if err != nil {
		return nil, fmt.Errorf("build: %w: %w", nodeapp.ErrLockfile, err)
	}

	builder := withNativeBuildEnv(builderContainer(c, o, hasNpmrc))
	nodeVersion, err := baseNodeVersions(ctx, c, o, builder)
	if err != nil {
		return nil, err
	}
	if err := app.CheckEngines(nodeVersion); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	builder = withPackageManager(c, o, builder, app.PackageManager, files, hasNpmrc)
	install := installSpecs[app.PackageManager.Kind]
	prodInstall := npmExec(builder, o, install.prod)
	if err := checkInstall(ctx, app.PackageManager.Kind, prodInstall); err != nil {
		return nil, err
	}
	if app.StartBin != nil && o.Entrypoint == "" {
		if err := resolveStartBin(ctx, prodInstall, app); err != nil {
			return nil, err
		}
	}

	epoch := int(o.Epoch.Unix())
	prodDeps := withoutBuildResidue(prodInstall, "/src/node_modules").
		Directory("/src/node_modules").
		WithTimestamps(epoch)
	var ownAddon string
	if _, ok := files[gypFile]; ok {
		ownAddon = app.Name
	}
	otherDeps, err := platformDeps(ctx, o, app.PackageManager, ownAddon, builder, prodInstall, prodDeps, o.Platforms)
	if err != nil {
		return nil, err
	}
	dev := npmExec(builder, o, install.all).
		WithDirectory("/src", o.Source, dagger.ContainerWithDirectoryOpts{Exclude: []string{"node_modules", ".git"}})
	dev, appFiles := appTree(c, o, app, dev, ignore)

	labels := map[string]string{
		LabelVersion:    o.Version,
		LabelRevision:   o.Revision,
		LabelSource:     o.SourceURL,
		LabelCreated:    o.Epoch.UTC().Format(time.RFC3339),
		LabelBaseName:   o.RuntimeBase,
		LabelBaseDigest: runtimeDigest,
	}
	if runtimeDigest == "" {
		labels[LabelUnpinned] = "true"
	}
	described := appLabels(app)
	for k, v := range described {
		if v != "" {
			labels[k] = v
		}
	}

	entrypoint := []string{"node", app.Entrypoint}
	if app.Start != nil {
		// The start script's node flags and arguments, as `npm start` runs it.
		entrypoint = append(append([]string{"node"}, app.Start.NodeFlags...), app.Entrypoint)
		if len(o.Args) == 0 {
			o.Args = app.Start.Args
		}
	}
	rt := runtimeStage{o: o, appFiles: appFiles, entrypoint: entrypoint, env: env, dirs: dirs, described: described}
	for i := range platforms {
		pb := &platforms[i]
		deps, pl := prodDeps, map[string]string{}
		for k, v := range labels {
			pl[k] = v
		}
		if pb.Platform != NativePlatform {
			deps = otherDeps[pb.Platform].WithTimestamps(epoch)
			pl[LabelBaseName], pl[LabelBaseDigest] = pb.RuntimeBase, pb.BaseDigest
		}
		pb.Runtime = rt.container(c, pb.Platform, pb.RuntimeBase, deps, pl)
	}
	return &Build{Options: o, App: app, Platforms: platforms, Dev: dev, Labels: labels, NodeVersion: nodeVersion, Lockfile: files[app.PackageManager.Kind.File()], Deps: deps, Accept: accept, Excludes: ignore}, nil
}

// builderContainer is the builder base with the manifests (and the
// project's .npmrc, when npmrc) copied in, ready for `npm ci`. npm's cache is a
// cache volume shared by the engine's builds, so it never reaches a layer;
// with an npm token it is a temporary directory of this build instead, so
// packages fetched with the token never sit where a build without it could
// install them from.
func builderContainer(c *dagger.Client, o BuildOptions, npmrc bool) *dagger.Container {
	ctr := npmContainer(c, o).
		WithFile("/src/package.json", o.Source.File("package.json"))
	// Files, not a filtered copy of the source directory: a File is cached
	// by its content, a filtered directory by the whole source, so editing
	// app.js would re-run npm ci. The lockfile is added by
	// withPackageManager.
	if npmrc {
		ctr = ctr.WithFile("/src/.npmrc", o.Source.File(".npmrc"))
	}
	return ctr
}

// npmContainer is the builder base with npm's cache and settings, working
// in /src.
func npmContainer(c *dagger.Client, o BuildOptions) *dagger.Container {
	cache := "immutable-npm"
	ctr := c.Container().From(o.BuilderBase)
	if o.CacheBust != "" {
		cache += "-" + o.CacheBust
		ctr = ctr.WithEnvVariable("IMMUTABLE_CACHE_BUST", o.CacheBust)
	}
	if o.NpmToken != nil {
		ctr = ctr.WithMountedTemp("/root/.npm")
	} else {
		ctr = ctr.WithMountedCache("/root/.npm", c.CacheVolume(cache))
	}
	ctr = ctr.
		WithEnvVariable("npm_config_update_notifier", "false").
		// Node ignores the system CA store by default; behind a TLS-inspecting
		// proxy (whose CA the engine installs there) npm needs it.
		WithEnvVariable("NODE_EXTRA_CA_CERTS", "/etc/ssl/certs/ca-certificates.crt").
		WithWorkdir("/src")
	return ctr
}

// baseNodeVersions returns the builder's Node version and checks the runtime
// base has the same one: native addons are built for the builder's ABI.
func baseNodeVersions(ctx context.Context, c *dagger.Client, o BuildOptions, builder *dagger.Container) (string, error) {
	var g errgroup.Group
	for role, ref := range map[string]string{"runtime": o.RuntimeBase, "builder": o.BuilderBase} {
		g.Go(func() error {
			if _, err := c.Container().From(ref).Sync(ctx); err != nil {
				return fmt.Errorf("build: %w: %s base %s cannot be pulled (does that digest exist in the repository?): %w", ErrBaseUnavailable, role, ref, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	bv, err := builder.WithExec([]string{"node", "--version"}).Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("build: builder base %s: running node --version: %w", o.BuilderBase, err)
	}
	rv, err := c.Container().From(o.RuntimeBase).
		WithExec([]string{"node", "--version"}, dagger.ContainerWithExecOpts{}).Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("build: runtime base %s: running node --version: %w", o.RuntimeBase, err)
	}
	bv, rv = strings.TrimSpace(bv), strings.TrimSpace(rv)
	if bv != rv {
		return "", fmt.Errorf("build: builder base has node %s but runtime base has %s: use bases with the same Node.js version", bv, rv)
	}
	return bv, nil
}

// checkPinned returns the digest of a base reference pinned by digest. A
// reference by tag alone is refused unless allowUnpinned, then "" is returned.
func checkPinned(role, ref string, allowUnpinned bool) (string, error) {
	if ref == "" {
		return "", fmt.Errorf("build: %w: no %s base image given", ErrInvalidBase, role)
	}
	if d, err := name.NewDigest(ref); err == nil {
		return d.DigestStr(), nil
	}
	if _, err := name.ParseReference(ref); err != nil {
		return "", fmt.Errorf("build: %w: %s base %q: %w", ErrInvalidBase, role, ref, err)
	}
	if allowUnpinned {
		return "", nil
	}
	return "", fmt.Errorf("build: %w: %s base %q: use %s@sha256:<digest> (e.g. `crane digest %s`), or pass --allow-unpinned-base to experiment", ErrUnpinnedBase, role, ref, ref, ref)
}

// manifestFiles are the files the build reads before it starts.
var manifestFiles = append([]string{"package.json", "package-lock.json", ".dockerignore", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock", checks.AcceptFile, gypFile}, pmConfigFiles...)

// readManifests reads the manifestFiles present in src and reports whether
// src has an .npmrc (which it does not read).
func readManifests(ctx context.Context, src *dagger.Directory) (nodeapp.Files, bool, error) {
	entries, err := src.Entries(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("build: reading source directory: %w", err)
	}
	if len(entries) == 0 {
		return nil, false, fmt.Errorf("build: %w: pass --source <dir with package.json and package-lock.json>", ErrEmptySource)
	}
	present := map[string]bool{}
	for _, e := range entries {
		present[strings.TrimSuffix(e, "/")] = true
	}
	files := nodeapp.Files{}
	for _, name := range manifestFiles {
		if !present[name] {
			continue
		}
		s, err := src.File(name).Contents(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("build: reading %s: %w", name, err)
		}
		files[name] = []byte(s)
	}
	return files, present[".npmrc"], nil
}
