// Package checks runs image policy checks on a go-containerregistry
// v1.Image, such as one read from a Dagger export with repro.LoadTarball.
//
// Run is shaped like ggcr's validate.Image: it runs every rule and returns
// one error joining all failures, plus a Result per rule. The rules:
//
//   - non-root: the config User is set and is neither root nor uid 0 (a
//     user name is resolved through the image's /etc/passwd);
//   - no-dev-dependencies: none of the given devDependencies is installed
//     under <AppDir>/node_modules, and npm's hidden lockfile there lists no
//     dev-only package;
//   - no-secrets: in every layer, including files a later layer deletes
//     (they stay in the blobs): no .npmrc with auth, no .npmrc under
//     AppDir, no SSH private keys, no .env under AppDir (outside
//     node_modules), no npm tokens, registry auth lines or private keys in
//     text files under AppDir (first MaxScanBytes of each), and no secret
//     looking config Env, labels or history. A file finding inside a
//     third-party package under <AppDir>/node_modules, in one of its test,
//     fixture, example, docs or benchmark directories, is a warning
//     (Result.Findings), not a failure: it is the package's test data, not
//     the app's secret. Everything else blocks: the app's own files, the
//     rest of the image, a dependency's shipped code, and config Env,
//     labels and history. A team accepts a specific file finding with a
//     reason in its AcceptFile (ParseAccept, Options.Accept); there is no
//     switch that turns the rule off;
//   - labels: org.opencontainers.image.{version,revision,source,created,
//     base.name,base.digest} are set; base.digest equals Options.BaseDigest
//     and version equals Options.Version when those are given;
//   - no-npm-cache: no npm cache or logs in any layer (/root/.npm,
//     /home/*/.npm, npm-debug.log*, yarn-error.log).
//
// The package does not import Dagger and needs no engine.
package checks
