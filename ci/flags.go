package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/authn"

	"dagger/immutable/pipeline"
	"dagger/immutable/publish"
	"dagger/immutable/repro"
)

// buildFlags are the inputs every pipeline verb shares.
type buildFlags struct {
	source, runtimeBase, builderBase string
	version, revision, sourceURL     string
	entrypoint                       string
	epoch                            int64
	port                             int
	allowUnpinned, json, progress    bool
	npm                              npmFlags
	app                              appFlags
}

func (f *buildFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.source, "source", "fixtures/app", "Node.js project directory (package.json at its root)")
	fs.StringVar(&f.runtimeBase, "runtime-base", "", "runtime base image, pinned by digest (default: the project's node-runtime, by the digest baselock/bases.lock pins)")
	fs.StringVar(&f.builderBase, "builder-base", "", "builder base image with node and npm, pinned by digest (default: the project's node-builder that go run ./ci up provisioned, by digest)")
	fs.BoolVar(&f.allowUnpinned, "allow-unpinned-base", false, "accept bases given by tag (the image is labelled unpinned)")
	fs.StringVar(&f.version, "version", "", "version to build or release, semver (e.g. 1.4.0 or v1.4.0)")
	fs.StringVar(&f.revision, "revision", "", "source revision label (default: git rev-parse HEAD of --source, else \"unknown\")")
	fs.StringVar(&f.sourceURL, "source-url", "", "org.opencontainers.image.source label")
	fs.Int64Var(&f.epoch, "source-date-epoch", -1, "SOURCE_DATE_EPOCH in seconds (default: $SOURCE_DATE_EPOCH, else the last commit time of --source, else 1704067200)")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "file node runs (default: package.json main or start script)")
	fs.IntVar(&f.port, "port", pipeline.DefaultPort, "port the app listens on")
	fs.BoolVar(&f.json, "json", false, "print the machine-readable report as JSON")
	fs.BoolVar(&f.progress, "progress", false, "show Dagger's progress output on stderr")
	fs.StringVar(&f.npm.token, "npm-token", "", "token for a private npm registry, env:NAME or file:PATH (e.g. env:NPM_TOKEN); npm ci sees it as $NPM_TOKEN for the project's .npmrc")
	fs.StringVar(&f.npm.service, "npm-registry-service", "", "a private npm registry on this machine, tcp://HOST:PORT (e.g. tcp://localhost:4873); the builder reaches it as --npm-registry-host:PORT")
	fs.StringVar(&f.npm.host, "npm-registry-host", pipeline.DefaultNpmRegistryHost, "host name the builder reaches --npm-registry-service by (.npmrc and package-lock.json name it)")
	f.app.register(fs)
}

// options resolves the flags into pipeline.BuildOptions.
func (f *buildFlags) options(c *dagger.Client) (pipeline.BuildOptions, error) {
	src, err := filepath.Abs(f.source)
	if err != nil {
		return pipeline.BuildOptions{}, err
	}
	if st, err := os.Stat(src); err != nil || !st.IsDir() {
		return pipeline.BuildOptions{}, fmt.Errorf("--source %s: not a directory", f.source)
	}
	epoch := time.Unix(f.epoch, 0).UTC()
	if f.epoch < 0 {
		if epoch, _, err = repro.SourceDateEpoch(src); err != nil {
			return pipeline.BuildOptions{}, err
		}
	}
	rev := f.revision
	if rev == "" {
		rev = repro.GitRevision(src)
	}
	token, err := npmToken(c, f.npm.token)
	if err != nil {
		return pipeline.BuildOptions{}, err
	}
	npmSvc, err := npmRegistry(c, f.npm.service)
	if err != nil {
		return pipeline.BuildOptions{}, err
	}
	o := pipeline.BuildOptions{
		Source:            c.Host().Directory(src, dagger.HostDirectoryOpts{Exclude: []string{"node_modules", ".git"}}),
		RuntimeBase:       f.runtimeBase,
		BuilderBase:       f.builderBase,
		AllowUnpinnedBase: f.allowUnpinned,
		Version:           f.version,
		Revision:          rev,
		SourceURL:         f.sourceURL,
		Epoch:             epoch,
		Entrypoint:        f.entrypoint,
		Port:              f.port,
		NpmToken:          token,
		NpmRegistry:       npmSvc,
		NpmRegistryHost:   f.npm.host,
	}
	return o, f.app.apply(&o)
}

// registryFlags configure registry access.
type registryFlags struct {
	repo, username, passwordEnv, tagPrefix string
	insecure                               bool
}

func (f *registryFlags) register(fs *flag.FlagSet) {
	repo := pipeline.DefaultRepository
	if reg := os.Getenv("IMMUTABLE_REGISTRY"); reg != "" {
		repo = reg + "/" + pipeline.DefaultRepositoryName
	}
	fs.StringVar(&f.repo, "registry", repo, "repository to publish to, e.g. registry.example.com/team/app")
	fs.StringVar(&f.username, "username", "", "registry username")
	fs.StringVar(&f.passwordEnv, "password-env", "REGISTRY_TOKEN", "environment variable holding the registry password or token (used with --username)")
	fs.StringVar(&f.tagPrefix, "tag-prefix", publish.DefaultTagPrefix, "prefix of version and floating tags (\"\" gives 1.2.3, 1.2, 1)")
	fs.BoolVar(&f.insecure, "insecure", false, "plain HTTP to a registry other than localhost")
}

// registry resolves the flags into the pipeline's registry: repository,
// access (credentials from --password-env) and publish rules.
func (f *registryFlags) registry() (pipeline.Registry, error) {
	r := pipeline.Registry{
		Repo:    f.repo,
		Access:  publish.Access{Insecure: f.insecure},
		Publish: publish.Options{TagPrefix: &f.tagPrefix, Log: os.Stderr},
	}
	if f.username != "" {
		pw := os.Getenv(f.passwordEnv)
		if pw == "" {
			return r, fmt.Errorf("--username %s given but $%s is empty: export the registry token in %s", f.username, f.passwordEnv, f.passwordEnv)
		}
		r.Access.Auth = &authn.Basic{Username: f.username, Password: pw}
	}
	return r, nil
}
