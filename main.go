// Immutable turns a Node.js app into an immutable, reproducible,
// semver-tagged container image — and proves it.
//
// Every release is built from pinned inputs (bases by digest, dependencies
// by lockfile), tested in parallel (unit tests, lint, a smoke test of the
// image as a service, image policy checks), rebuilt independently to prove
// the digest is reproducible, and only then published: version tags can
// never be overwritten and floating tags never move backwards.
//
// This file is a thin facade: every stage lives in the pipeline package,
// which the plain Go program in ci/ calls too.
package main

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"fmt"
	"io"
	"os"

	lib "dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"dagger/immutable/internal/dagger"
	"dagger/immutable/pipeline"
	"dagger/immutable/publish"
)

// Immutable builds, verifies and publishes one Node.js app.
type Immutable struct {
	// +private
	Source *dagger.Directory
	// +private
	RuntimeBase string
	// +private
	BuilderBase string
	// +private
	AllowUnpinnedBase bool
	// +private
	Revision string
	// +private
	SourceURL string
	// +private
	SourceDateEpoch int
	// +private
	GitRef *dagger.GitRef
	// +private
	Entrypoint string
	// +private
	Port int
	// +private
	NpmToken *dagger.Secret
	// +private
	NpmRegistry *dagger.Service
	// +private
	NpmRegistryHost string
	// +private
	Env []string
	// +private
	Arg []string
	// +private
	WritableDir []string
	// +private
	Worker bool
	// +private
	Probe []string
	// +private
	VersionPath string
	// +private
	SmokeEnv []string
	// +private
	SmokeTimeout string
	// +private
	SmokeUptime string
	// +private
	SkipSmoke bool
}

func New(
	// Node.js project directory, package.json at its root.
	// +defaultPath="/fixtures/app"
	// +ignore=["**/node_modules", ".git", "npm-debug.log*"]
	source *dagger.Directory,
	// Runtime base image pinned by digest (repo@sha256:…). Default: the
	// project's node-runtime, by the digest fixtures/bases.lock pins, in the
	// local registry.
	// +optional
	runtimeBase string,
	// Builder base image with node and npm, pinned by digest. Default: the
	// project's node-builder that `go run ./ci up` provisioned for
	// fixtures/bases.lock, resolved to its digest.
	// +optional
	builderBase string,
	// Accept bases given by tag; the image is labelled unpinned.
	// +optional
	allowUnpinnedBase bool,
	// Source revision for the org.opencontainers.image.revision label.
	// Default: the HEAD commit of gitRef, as `go run ./ci` reads it, else
	// "unknown".
	// +optional
	revision string,
	// org.opencontainers.image.source label.
	// +optional
	sourceUrl string,
	// SOURCE_DATE_EPOCH in seconds: every timestamp in the image. Default
	// (-1): the commit time of gitRef's HEAD, as `go run ./ci` reads it,
	// else 1704067200 (2024-01-01T00:00:00Z).
	// +optional
	// +default=-1
	sourceDateEpoch int,
	// The git checkout whose HEAD gives the default revision and source
	// date epoch. Default: the checkout this module is called from, so
	// `dagger call` and `go run ./ci` give the same digest. When another
	// module installs this one, pass revision and sourceDateEpoch.
	// +optional
	// +defaultPath="/"
	gitRef *dagger.GitRef,
	// File node runs. Default: package.json main, or a "node <file>" start script.
	// +optional
	entrypoint string,
	// Port the app listens on.
	// +optional
	// +default=3000
	port int,
	// Token for a private npm registry, e.g. env:NPM_TOKEN. Only the npm ci
	// steps see it, as $NPM_TOKEN, for the project's .npmrc:
	// //npm-registry:4873/:_authToken=${NPM_TOKEN}. It reaches no layer
	// and does not change the image digest.
	// +optional
	npmToken *dagger.Secret,
	// A private npm registry as a service, which npm ci reaches by the
	// name npmRegistryHost, e.g. --npm-registry tcp://localhost:4873 for
	// one on your machine.
	// +optional
	npmRegistry *dagger.Service,
	// Host name npmRegistry is bound to; .npmrc and package-lock.json name
	// it.
	// +optional
	// +default="npm-registry"
	npmRegistryHost string,
	// KEY=VALUE written into the image config (part of the digest; never a
	// secret), repeatable: --env LOG_LEVEL=info --env NODE_ENV=staging.
	// +optional
	env []string,
	// Arguments after the entrypoint, in order (the image's cmd), e.g.
	// --arg data.json for `node server.js data.json`.
	// +optional
	arg []string,
	// Directories the non-root app may write, created empty and owned by
	// 1000:1000, e.g. /app/data (relative: under /app). /tmp is always
	// writable.
	// +optional
	writableDir []string,
	// The app listens on no port (a worker): nothing is exposed, $PORT is
	// not set, and the smoke test checks it keeps running for smokeUptime.
	// +optional
	worker bool,
	// Smoke test: PATH or PATH=STATUS that must answer, e.g. /healthz=200
	// (repeatable). Replaces the default: GET / answering below 500.
	// +optional
	probe []string,
	// Smoke test: a path whose JSON must report the version being built
	// as "version", e.g. /version.
	// +optional
	versionPath string,
	// Smoke test: KEY=VALUE set for the smoke run only, not in the image.
	// +optional
	smokeEnv []string,
	// Smoke test: time for the port to open and the probes to pass.
	// +optional
	// +default="30s"
	smokeTimeout string,
	// Smoke test: how long the app must keep running after the probes
	// passed (a worker: after start).
	// +optional
	// +default="3s"
	smokeUptime string,
	// Skip the smoke test; the gate and the release record say skipped.
	// +optional
	skipSmoke bool,
) *Immutable {
	return &Immutable{
		Source: source, RuntimeBase: runtimeBase, BuilderBase: builderBase,
		AllowUnpinnedBase: allowUnpinnedBase, Revision: revision, SourceURL: sourceUrl,
		SourceDateEpoch: sourceDateEpoch, GitRef: gitRef, Entrypoint: entrypoint, Port: port,
		NpmToken: npmToken, NpmRegistry: npmRegistry, NpmRegistryHost: npmRegistryHost,
		Env: env, Arg: arg, WritableDir: writableDir, Worker: worker,
		Probe: probe, VersionPath: versionPath, SmokeEnv: smokeEnv,
		SmokeTimeout: smokeTimeout, SmokeUptime: smokeUptime, SkipSmoke: skipSmoke,
	}
}

// Build builds the app into a normalized, reproducible runtime image.
func (m *Immutable) Build(
	ctx context.Context,
	// Version written to labels and APP_VERSION, e.g. 1.4.0.
	// +optional
	// +default="0.0.0-dev"
	version string,
) (*dagger.Container, error) {
	s, err := m.session(ctx)
	if err != nil {
		return nil, err
	}
	o, err := m.options(ctx, s, version)
	if err != nil {
		return nil, err
	}
	_, img, err := pipeline.BuildImage(ctx, s.c, o, s.workDir)
	if err != nil {
		return nil, err
	}
	return s.container(ctx, img)
}

// Test builds the app, then runs unit tests, lint, a smoke test of the image
// as a service and the image policy checks in parallel. Returns the report;
// fails naming the failed jobs.
// +check
func (m *Immutable) Test(
	ctx context.Context,
	// Version to build; with versionPath, the smoke test expects it there.
	// +optional
	// +default="0.0.0-dev"
	version string,
) (string, error) {
	s, err := m.session(ctx)
	if err != nil {
		return "", err
	}
	o, err := m.options(ctx, s, version)
	if err != nil {
		return "", err
	}
	_, _, report, err := pipeline.BuildAndTest(ctx, s.c, o, s.workDir)
	if err != nil {
		return "", err
	}
	return report.String(), report.Err()
}

// Verify builds the app twice, independently (the second build reruns every
// step), and compares the image digests. Returns PASS with the digest, or
// fails with a report of which layer, file and config field differ.
// +check
func (m *Immutable) Verify(
	ctx context.Context,
	// Version to build.
	// +optional
	// +default="0.0.0-dev"
	version string,
	// Output format: text or json.
	// +optional
	// +default="text"
	format string,
) (string, error) {
	s, err := m.session(ctx)
	if err != nil {
		return "", err
	}
	o, err := m.options(ctx, s, version)
	if err != nil {
		return "", err
	}
	report, err := pipeline.Verify(ctx, s.c, o, s.workDir, nil)
	if err != nil {
		return "", err
	}
	return render(report, format), report.Err()
}

// Release builds the app, runs every gate (tests, lint, smoke test, image
// checks, reproducibility) and, only if all pass, publishes the image with
// semver tags: vX.Y.Z (immutable), vX.Y, vX and latest (never moved
// backwards). Prints the pinned image@sha256 reference and deploy command.
// +cache="never"
func (m *Immutable) Release(
	ctx context.Context,
	// Version to release, semver: 1.4.0 or v1.4.0.
	version string,
	// Repository to publish to.
	// +optional
	// +default="localhost:5000/hello-immutable"
	registry string,
	// The registry as a service, for a registry on the caller's localhost:
	// --registry-service tcp://localhost:5000 (inside a function, localhost
	// is the function's own container).
	// +optional
	registryService *dagger.Service,
	// Registry username.
	// +optional
	username string,
	// Registry password or token, e.g. env:REGISTRY_TOKEN.
	// +optional
	password *dagger.Secret,
	// Plain HTTP to a registry other than localhost.
	// +optional
	insecure bool,
	// Prefix of version and floating tags; "" gives 1.2.3, 1.2, 1.
	// +optional
	// +default="v"
	tagPrefix string,
	// Output format: text or json (the release report).
	// +optional
	// +default="text"
	format string,
	// OSV advisory database for the scan gate: a directory of OSV JSON
	// files (e.g. osv.dev's npm/all.zip unpacked). Default: the
	// repository's fixtures/osv.
	// +optional
	// +defaultPath="/fixtures/osv"
	advisoryDb *dagger.Directory,
	// Scan threshold: low, medium, high, critical, unknown (any finding)
	// or none.
	// +optional
	// +default="high"
	failOn string,
	// Sign the published image with this private key (cosign.key from
	// `cosign generate-key-pair`, or unencrypted PKCS#8/EC PEM), e.g.
	// file:./cosign.key. Default: not signed.
	// +optional
	signingKey *dagger.Secret,
	// Password of the signing key (what cosign reads from
	// COSIGN_PASSWORD), e.g. env:COSIGN_PASSWORD.
	// +optional
	signingPassword *dagger.Secret,
) (string, error) {
	key, keyPassword, err := secretKey(ctx, signingKey, signingPassword)
	if err != nil {
		return "", err
	}
	s, err := m.session(ctx)
	if err != nil {
		return "", err
	}
	o, err := m.options(ctx, s, version)
	if err != nil {
		return "", err
	}
	po, err := registryOptions(ctx, registry, registryService, username, password, insecure, tagPrefix)
	if err != nil {
		return "", err
	}
	db, err := s.advisoryDB(ctx, advisoryDb)
	if err != nil {
		return "", err
	}
	report, err := pipeline.Release(ctx, s.c, pipeline.ReleaseOptions{
		Build: o, Repo: registry, Publish: po, WorkDir: s.workDir, AdvisoryDB: db, FailOn: failOn,
		SigningKey: key, SigningPassword: keyPassword,
	})
	if err != nil && report != nil {
		return "", fmt.Errorf("%w\n%s", err, render(report, "text"))
	}
	if err != nil {
		return "", err
	}
	return render(report, format), nil
}

// Sbom builds the app and returns the image's CycloneDX (1.6) JSON SBOM:
// the npm production dependencies from package-lock.json and the base
// image's Debian packages. The same image gives the same bytes.
func (m *Immutable) Sbom(
	ctx context.Context,
	// Version to build.
	// +optional
	// +default="0.0.0-dev"
	version string,
) (*dagger.File, error) {
	s, err := m.session(ctx)
	if err != nil {
		return nil, err
	}
	o, err := m.options(ctx, s, version)
	if err != nil {
		return nil, err
	}
	b, img, err := pipeline.BuildImage(ctx, s.c, o, s.workDir)
	if err != nil {
		return nil, err
	}
	bom, err := pipeline.SBOM(b, img, "")
	if err != nil {
		return nil, err
	}
	return dag.Directory().WithNewFile("sbom.cdx.json", string(bom)).File("sbom.cdx.json"), nil
}

// Scan builds the app, generates its SBOM and matches it against an
// offline OSV advisory database. Returns the findings (ID, package,
// installed and fixed versions, severity); fails when one is at or above
// the threshold.
// +check
func (m *Immutable) Scan(
	ctx context.Context,
	// Version to build.
	// +optional
	// +default="0.0.0-dev"
	version string,
	// OSV advisory database: a directory of OSV JSON files. Default: the
	// repository's fixtures/osv.
	// +optional
	// +defaultPath="/fixtures/osv"
	advisoryDb *dagger.Directory,
	// Threshold: low, medium, high, critical, unknown (any finding) or none.
	// +optional
	// +default="high"
	failOn string,
	// Output format: text or json.
	// +optional
	// +default="text"
	format string,
) (string, error) {
	s, err := m.session(ctx)
	if err != nil {
		return "", err
	}
	o, err := m.options(ctx, s, version)
	if err != nil {
		return "", err
	}
	db, err := s.advisoryDB(ctx, advisoryDb)
	if err != nil {
		return "", err
	}
	if db == "" {
		return "", fmt.Errorf("no advisory database: pass --advisory-db DIR")
	}
	b, img, err := pipeline.BuildImage(ctx, s.c, o, s.workDir)
	if err != nil {
		return "", err
	}
	bom, err := pipeline.SBOM(b, img, "")
	if err != nil {
		return "", err
	}
	report, err := pipeline.Scan(bom, db, failOn)
	if err != nil {
		return "", err
	}
	out := render(report, format)
	if err := report.Err(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, out)
	}
	return out, nil
}

// Sign signs a published image with a cosign-compatible signature (cosign's
// key-based "simple signing", stored as <repo>:sha256-<hex>.sig, appended
// to existing signatures; no transparency log). `cosign verify --key
// cosign.pub --insecure-ignore-tlog=true` accepts it. Returns the signed
// digest and the signature image's digest.
// +cache="never"
func (m *Immutable) Sign(
	ctx context.Context,
	// Image to sign: repo@sha256:… or repo:tag (a tag is resolved to the
	// digest it points at now).
	ref string,
	// Private key PEM: cosign.key (password below) or unencrypted
	// PKCS#8/EC, e.g. file:./cosign.key.
	key *dagger.Secret,
	// Password of the key (cosign's COSIGN_PASSWORD), e.g.
	// env:COSIGN_PASSWORD.
	// +optional
	keyPassword *dagger.Secret,
	// The registry as a service (see release).
	// +optional
	registryService *dagger.Service,
	// +optional
	username string,
	// +optional
	password *dagger.Secret,
	// +optional
	insecure bool,
) (string, error) {
	pem, pw, err := secretKey(ctx, key, keyPassword)
	if err != nil {
		return "", err
	}
	po, err := registryOptions(ctx, repoOf(ref), registryService, username, password, insecure, "v")
	if err != nil {
		return "", err
	}
	digest, sig, err := pipeline.SignImage(ctx, ref, pem, pw, po)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("signed %s (%s)\nsignature: %s\n", ref, digest, sig), nil
}

// VerifySignature checks that an image carries a cosign signature made with
// the public key over exactly its digest; a tag is resolved to the digest
// it points at now, so an image pushed under a signed tag fails.
// +cache="never"
func (m *Immutable) VerifySignature(
	ctx context.Context,
	// Image to verify: repo:tag or repo@sha256:….
	ref string,
	// Public key PEM (cosign.pub).
	key *dagger.File,
	// The registry as a service (see release).
	// +optional
	registryService *dagger.Service,
	// +optional
	username string,
	// +optional
	password *dagger.Secret,
	// +optional
	insecure bool,
) (string, error) {
	pub, err := key.Contents(ctx)
	if err != nil {
		return "", err
	}
	po, err := registryOptions(ctx, repoOf(ref), registryService, username, password, insecure, "v")
	if err != nil {
		return "", err
	}
	v, err := pipeline.VerifySignature(ctx, ref, []byte(pub), po)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("verified %s: %d of %d signatures valid\nsignatures: %s (%s)\n", v.Ref, v.Valid, v.Total, v.Tag, v.SignatureDigest), nil
}

// VerifyRelease is the check before a deploy: is the image ref points at
// now (a tag is resolved to its digest) signed with the key, with SLSA
// provenance whose subject, source revision and bases match its release
// record, an SBOM, and every gate passed? It returns one line per check
// and YES, or fails naming the first thing that is wrong.
// +cache="never"
func (m *Immutable) VerifyRelease(
	ctx context.Context,
	// Image to check: repo:tag or repo@sha256:….
	ref string,
	// Public key PEM (cosign.pub) the release was signed with.
	key *dagger.File,
	// The registry as a service (see release).
	// +optional
	registryService *dagger.Service,
	// +optional
	username string,
	// +optional
	password *dagger.Secret,
	// +optional
	insecure bool,
) (string, error) {
	pub, err := key.Contents(ctx)
	if err != nil {
		return "", err
	}
	po, err := registryOptions(ctx, repoOf(ref), registryService, username, password, insecure, "v")
	if err != nil {
		return "", err
	}
	c, err := pipeline.VerifyRelease(ctx, ref, []byte(pub), po)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	c.Format(&b)
	if err := c.Err(); err != nil {
		return "", fmt.Errorf("%s%w", b.String(), err)
	}
	return b.String(), nil
}

// Releases lists the published versions, newest first, with digests and
// dates, and where each floating tag points.
// +cache="never"
func (m *Immutable) Releases(
	ctx context.Context,
	// Repository to read.
	// +optional
	// +default="localhost:5000/hello-immutable"
	registry string,
	// The registry as a service (see release).
	// +optional
	registryService *dagger.Service,
	// +optional
	username string,
	// +optional
	password *dagger.Secret,
	// +optional
	insecure bool,
	// Output format: text or json.
	// +optional
	// +default="text"
	format string,
) (string, error) {
	po, err := registryOptions(ctx, registry, registryService, username, password, insecure, "v")
	if err != nil {
		return "", err
	}
	h, err := pipeline.Releases(ctx, registry, po)
	if err != nil {
		return "", err
	}
	if format == "json" {
		return render(h, format), nil
	}
	var b bytes.Buffer
	if err := h.Format(&b); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Rollback moves the floating tags that point at a newer release of the
// version's line back to an earlier release, and records it. The version
// must have been released.
// +cache="never"
func (m *Immutable) Rollback(
	ctx context.Context,
	// Version to roll back to, e.g. 1.2.3.
	to string,
	// +optional
	// +default="localhost:5000/hello-immutable"
	registry string,
	// The registry as a service (see release).
	// +optional
	registryService *dagger.Service,
	// +optional
	username string,
	// +optional
	password *dagger.Secret,
	// +optional
	insecure bool,
	// Prefix of version and floating tags.
	// +optional
	// +default="v"
	tagPrefix string,
) (string, error) {
	po, err := registryOptions(ctx, registry, registryService, username, password, insecure, tagPrefix)
	if err != nil {
		return "", err
	}
	res, err := publish.Rollback(ctx, registry, to, po)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("rolled back %v to %s (%s)\npinned: %s\ndeploy: %s\n",
		res.Moved, res.Version, res.Digest, res.Ref, publish.DeployCommand("my-app", res.Ref)), nil
}

// session is the dagger.io/dagger client of this function's session plus a
// scratch directory; pipeline/ is written against that library.
type session struct {
	c       *lib.Client
	workDir string
}

func (m *Immutable) session(ctx context.Context) (*session, error) {
	c, err := lib.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to the session: %w", err)
	}
	return &session{c: c, workDir: "/tmp"}, nil
}

// advisoryDB exports an advisory database directory into the function's
// filesystem for the scan, which reads a path; nil gives "".
func (s *session) advisoryDB(ctx context.Context, dir *dagger.Directory) (string, error) {
	if dir == nil {
		return "", nil
	}
	path, err := os.MkdirTemp(s.workDir, "osv-")
	if err != nil {
		return "", err
	}
	if _, err := dir.Export(ctx, path); err != nil {
		return "", fmt.Errorf("exporting the advisory database: %w", err)
	}
	return path, nil
}

// options converts the module's settings into pipeline.BuildOptions; the
// source directory, npm token and npm registry cross from generated to
// library types by ID.
func (m *Immutable) options(ctx context.Context, s *session, version string) (pipeline.BuildOptions, error) {
	id, err := m.Source.ID(ctx)
	if err != nil {
		return pipeline.BuildOptions{}, err
	}
	var npmToken *lib.Secret
	if m.NpmToken != nil {
		id, err := m.NpmToken.ID(ctx)
		if err != nil {
			return pipeline.BuildOptions{}, err
		}
		npmToken = s.c.LoadSecretFromID(lib.SecretID(id))
	}
	var npmRegistry *lib.Service
	if m.NpmRegistry != nil {
		id, err := m.NpmRegistry.ID(ctx)
		if err != nil {
			return pipeline.BuildOptions{}, err
		}
		npmRegistry = s.c.LoadServiceFromID(lib.ServiceID(id))
	}
	rev, epoch, err := m.checkout(ctx, s)
	if err != nil {
		return pipeline.BuildOptions{}, err
	}
	o := pipeline.BuildOptions{
		Source:            s.c.LoadDirectoryFromID(lib.DirectoryID(id)),
		RuntimeBase:       m.RuntimeBase,
		BuilderBase:       m.BuilderBase,
		AllowUnpinnedBase: m.AllowUnpinnedBase,
		Version:           version,
		Revision:          rev,
		SourceURL:         m.SourceURL,
		Epoch:             epoch,
		Entrypoint:        m.Entrypoint,
		Port:              m.Port,
		NpmToken:          npmToken,
		NpmRegistry:       npmRegistry,
		NpmRegistryHost:   m.NpmRegistryHost,
	}
	return o, m.appOptions(&o)
}

// container hands a normalized image back as a generated-type Container.
func (s *session) container(ctx context.Context, img *pipeline.Image) (*dagger.Container, error) {
	id, err := img.Container(s.c).ID(ctx)
	if err != nil {
		return nil, err
	}
	return dag.LoadContainerFromID(dagger.ContainerID(id)), nil
}

// registryOptions builds publish.Options; a registry service, when given, is
// started and tunnelled to under the registry's own name.
func registryOptions(ctx context.Context, registry string, svc *dagger.Service, username string, password *dagger.Secret, insecure bool, tagPrefix string) (publish.Options, error) {
	o := publish.Options{Insecure: insecure, TagPrefix: &tagPrefix}
	if username != "" {
		if password == nil {
			return o, fmt.Errorf("--username given without --password (e.g. --password env:REGISTRY_TOKEN)")
		}
		pw, err := password.Plaintext(ctx)
		if err != nil {
			return o, err
		}
		o.Auth = &authn.Basic{Username: username, Password: pw}
	}
	host, err := pipeline.RegistryHost(registry)
	if err != nil {
		return o, err
	}
	if svc == nil {
		if pipeline.IsLoopback(host) {
			return o, fmt.Errorf("registry %s is on the caller's machine, which a module function cannot reach by that name: add --registry-service tcp://%s", registry, host)
		}
		return o, nil
	}
	if _, err := svc.Start(ctx); err != nil {
		return o, fmt.Errorf("starting the registry service: %w", err)
	}
	endpoint, err := svc.Endpoint(ctx)
	if err != nil {
		return o, fmt.Errorf("registry service endpoint: %w", err)
	}
	o.Transport = pipeline.TunnelTransport(host, endpoint)
	return o, nil
}

// secretKey reads a PEM key and its optional password from secrets (nil
// key gives nil). Their values are never logged.
func secretKey(ctx context.Context, key, password *dagger.Secret) (pem, pw []byte, err error) {
	if key == nil {
		return nil, nil, nil
	}
	k, err := key.Plaintext(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the signing key secret: %w", err)
	}
	if password != nil {
		p, err := password.Plaintext(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the signing key password secret: %w", err)
		}
		pw = []byte(p)
	}
	return []byte(k), pw, nil
}

// repoOf is the repository of an image reference ("" if it does not parse;
// the caller's own parsing reports the error).
func repoOf(ref string) string {
	r, err := name.ParseReference(ref)
	if err != nil {
		return ""
	}
	return r.Context().Name()
}

// render formats a report as text (its Format method) or as JSON.
func render(v any, format string) string {
	if format == "json" {
		b, err := stdjson.MarshalIndent(v, "", "  ")
		if err != nil {
			return err.Error()
		}
		return string(b) + "\n"
	}
	var b bytes.Buffer
	if f, ok := v.(interface{ Format(io.Writer) }); ok {
		f.Format(&b)
	}
	return b.String()
}
