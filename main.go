// Immutable turns a Node.js app into an immutable, reproducible,
// semver-tagged container image — and proves it.
//
// Every release is built from pinned inputs (bases by digest, dependencies
// by lockfile), tested in parallel (unit tests, lint, a smoke test of the
// image as a service, image policy checks), rebuilt independently to prove
// the digest is reproducible, and only then published: version tags can
// never be overwritten and floating tags never move backwards.
//
// This file is a thin facade, a list of functions and their arguments:
// every flow is one function of the pipeline package, which the plain Go
// program in ci/ calls too. Arguments become pipeline options in
// session.go, registry.go, appoptions.go and checkout.go.
package main

import (
	"context"

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
	// +private
	Platforms []string
	// +private
	PlatformBase []string
	// +private
	Registry string
	// +private
	RegistryService *dagger.Service
	// +private
	RegistryUsername string
	// +private
	RegistryPassword *dagger.Secret
	// +private
	RegistryInsecure bool
	// +private
	TagPrefix string
}

func New(
	// Node.js project directory, package.json at its root.
	// +defaultPath="/fixtures/app"
	// +ignore=["**/node_modules", ".git", "npm-debug.log*"]
	source *dagger.Directory,
	// Runtime base image pinned by digest (repo@sha256:…). Default: the
	// project's node-runtime, by the digest baselock/bases.lock pins, in the
	// local registry.
	// +optional
	runtimeBase string,
	// Builder base image with node and npm, pinned by digest. Default: the
	// project's node-builder that `go run ./ci up` provisioned for
	// baselock/bases.lock, resolved to its digest.
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
	// Platforms to build: linux/amd64 (the default) and linux/arm64, e.g.
	// --platforms linux/amd64,linux/arm64. More than one publishes an OCI
	// image index: dependencies installed once, app layers shared, each
	// platform on its own pinned runtime base, no emulation.
	// +optional
	platforms []string,
	// PLATFORM=REPO@sha256:… runtime base of a platform other than
	// linux/amd64 (repeatable). Default: the project's locked base for it,
	// or runtimeBase when that is an image index.
	// +optional
	platformBase []string,
) *Immutable {
	return &Immutable{
		Source: source, RuntimeBase: runtimeBase, BuilderBase: builderBase,
		AllowUnpinnedBase: allowUnpinnedBase, Revision: revision, SourceURL: sourceUrl,
		SourceDateEpoch: sourceDateEpoch, GitRef: gitRef, Entrypoint: entrypoint, Port: port,
		NpmToken: npmToken, NpmRegistry: npmRegistry, NpmRegistryHost: npmRegistryHost,
		Env: env, Arg: arg, WritableDir: writableDir, Worker: worker,
		Probe: probe, VersionPath: versionPath, SmokeEnv: smokeEnv,
		SmokeTimeout: smokeTimeout, SmokeUptime: smokeUptime, SkipSmoke: skipSmoke,
		Platforms: platforms, PlatformBase: platformBase,
		Registry: pipeline.DefaultRepository, TagPrefix: publish.DefaultTagPrefix,
	}
}

// WithRegistry sets where releases go and how the registry is reached, once
// for every function that reads or writes it (release, releases, rollback,
// sign, verify-signature, verify-release):
// `dagger call with-registry --address registry.example.com/team/app
// --username ci --password env:REGISTRY_TOKEN release --version 1.4.0`.
// Without it: localhost:5000/hello-immutable, anonymous, prefix "v".
func (m *Immutable) WithRegistry(
	// Repository, e.g. registry.example.com/team/app. Default:
	// localhost:5000/hello-immutable.
	// +optional
	address string,
	// The registry as a service, for a registry on the caller's localhost:
	// --service tcp://localhost:5000 (inside a function, localhost is the
	// function's own container); the image is still published under the
	// address's name.
	// +optional
	service *dagger.Service,
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
) *Immutable {
	r := *m
	if address != "" {
		r.Registry = address
	}
	r.RegistryService, r.RegistryUsername, r.RegistryPassword = service, username, password
	r.RegistryInsecure, r.TagPrefix = insecure, tagPrefix
	return &r
}

// Build builds the app into a normalized, reproducible runtime image. With
// several --platforms it returns the linux/amd64 image (release publishes
// the index of all of them).
func (m *Immutable) Build(
	ctx context.Context,
	// Version written to labels and APP_VERSION, e.g. 1.4.0.
	// +optional
	// +default="0.0.0-dev"
	version string,
) (*dagger.Container, error) {
	s, o, err := m.build(ctx, version)
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
	// Output format: text or json.
	// +optional
	// +default="text"
	format string,
) (string, error) {
	s, o, err := m.build(ctx, version)
	if err != nil {
		return "", err
	}
	_, _, report, err := pipeline.BuildAndTest(ctx, s.c, o, s.workDir)
	if err != nil {
		return "", err
	}
	return output(report, format)
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
	s, o, err := m.build(ctx, version)
	if err != nil {
		return "", err
	}
	report, err := pipeline.Verify(ctx, s.c, o, s.workDir, nil)
	if err != nil {
		return "", err
	}
	return output(report, format)
}

// Release builds the app, runs every gate (tests, lint, smoke test, image
// checks, reproducibility, scan) and, only if all pass, publishes the image
// to the registry (see withRegistry) with semver tags: vX.Y.Z (immutable),
// vX.Y, vX and latest (never moved backwards). Returns the release: its
// digest and pinned reference, and the report as summary (text) and json.
// +cache="never"
func (m *Immutable) Release(
	ctx context.Context,
	// Version to release, semver: 1.4.0 or v1.4.0.
	version string,
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
) (*Release, error) {
	key, keyPassword, err := secretKey(ctx, signingKey, signingPassword)
	if err != nil {
		return nil, err
	}
	s, o, err := m.build(ctx, version)
	if err != nil {
		return nil, err
	}
	reg, err := m.registry(ctx, m.Registry)
	if err != nil {
		return nil, err
	}
	db, err := s.advisoryDB(ctx, advisoryDb)
	if err != nil {
		return nil, err
	}
	report, err := pipeline.Release(ctx, s.c, pipeline.ReleaseOptions{
		Build: o, Registry: reg, WorkDir: s.workDir, AdvisoryDB: db, FailOn: failOn,
		SigningKey: key, SigningPassword: keyPassword,
	})
	return newRelease(report, err)
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
	s, o, err := m.build(ctx, version)
	if err != nil {
		return nil, err
	}
	bom, err := pipeline.BuildSBOM(ctx, s.c, o, s.workDir)
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
	s, o, err := m.build(ctx, version)
	if err != nil {
		return "", err
	}
	db, err := s.advisoryDB(ctx, advisoryDb)
	if err != nil {
		return "", err
	}
	report, err := pipeline.ScanApp(ctx, s.c, o, s.workDir, db, failOn)
	if err != nil {
		return "", err
	}
	return output(report, format)
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
	// digest it points at now); a bare tag or digest is taken in the
	// registry's repository (see withRegistry).
	ref string,
	// Private key PEM: cosign.key (password below) or unencrypted
	// PKCS#8/EC, e.g. file:./cosign.key.
	key *dagger.Secret,
	// Password of the key (cosign's COSIGN_PASSWORD), e.g.
	// env:COSIGN_PASSWORD.
	// +optional
	keyPassword *dagger.Secret,
	// Output format: text or json.
	// +optional
	// +default="text"
	format string,
) (string, error) {
	pem, pw, err := secretKey(ctx, key, keyPassword)
	if err != nil {
		return "", err
	}
	reg, err := m.registryFor(ctx, ref)
	if err != nil {
		return "", err
	}
	r, err := pipeline.SignImage(ctx, reg, ref, pem, pw)
	if err != nil {
		return "", err
	}
	return output(r, format)
}

// VerifySignature checks that an image carries a cosign signature made with
// the public key over exactly its digest; a tag is resolved to the digest
// it points at now, so an image pushed under a signed tag fails.
// +cache="never"
func (m *Immutable) VerifySignature(
	ctx context.Context,
	// Image to verify: repo:tag or repo@sha256:… (bare: in the registry's
	// repository).
	ref string,
	// Public key PEM (cosign.pub).
	key *dagger.File,
	// Output format: text or json.
	// +optional
	// +default="text"
	format string,
) (string, error) {
	return m.verifyWith(ctx, ref, key, format, func(ctx context.Context, reg pipeline.Registry, pub []byte) (pipeline.Report, error) {
		return pipeline.VerifySignature(ctx, reg, ref, pub)
	})
}

// VerifyRelease is the check before a deploy: is the image ref points at
// now (a tag is resolved to its digest) signed with the key, with SLSA
// provenance whose subject, source revision and bases match its release
// record, an SBOM, and every gate passed? It returns one line per check
// and YES, or fails naming the first thing that is wrong.
// +cache="never"
func (m *Immutable) VerifyRelease(
	ctx context.Context,
	// Image to check: repo:tag or repo@sha256:… (bare: in the registry's
	// repository).
	ref string,
	// Public key PEM (cosign.pub) the release was signed with.
	key *dagger.File,
	// Output format: text or json.
	// +optional
	// +default="text"
	format string,
) (string, error) {
	return m.verifyWith(ctx, ref, key, format, func(ctx context.Context, reg pipeline.Registry, pub []byte) (pipeline.Report, error) {
		return pipeline.VerifyRelease(ctx, reg, ref, pub)
	})
}

// Releases lists the versions published to the registry (see
// withRegistry; under its tag prefix), newest first, with digests, dates
// and attachments, and where each floating tag points.
// +cache="never"
func (m *Immutable) Releases(
	ctx context.Context,
	// Output format: text or json.
	// +optional
	// +default="text"
	format string,
) (string, error) {
	reg, err := m.registry(ctx, m.Registry)
	if err != nil {
		return "", err
	}
	h, err := pipeline.Releases(ctx, reg)
	if err != nil {
		return "", err
	}
	return output(h, format)
}

// Rollback moves the floating tags that point at a newer release of the
// version's line back to an earlier release, and records it. The version
// must have been released.
// +cache="never"
func (m *Immutable) Rollback(
	ctx context.Context,
	// Version to roll back to, e.g. 1.2.3.
	to string,
	// Output format: text or json.
	// +optional
	// +default="text"
	format string,
) (string, error) {
	reg, err := m.registry(ctx, m.Registry)
	if err != nil {
		return "", err
	}
	res, err := pipeline.Rollback(ctx, reg, to)
	if err != nil {
		return "", err
	}
	return output(res, format)
}
