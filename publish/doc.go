// Package publish pushes semver-tagged, immutable OCI images to a registry,
// keeps a release history next to them, and rolls floating tags back.
//
// It uses go-containerregistry only (no Dagger), so the rules below can be
// tested against the in-memory registry of pkg/registry.
//
// # Tags
//
// A version is parsed with semver.StrictNewVersion after stripping one
// optional leading "v" ("1.4.0" and "v1.4.0" are the same version). With the
// default prefix "v", release 1.2.3 gets the version tag v1.2.3 and the
// floating tags v1.2, v1 and latest; with prefix "" it gets 1.2.3, 1.2, 1 and
// latest. A prerelease (1.3.0-rc.1) gets only its own tag. Build metadata
// ("1.2.3+build.5") is refused: image tags cannot contain '+', and since
// metadata has no semver precedence, mapping it (to '_' say) would let
// 1.2.3+a and 1.2.3+b be two different images of one version, which is
// exactly what immutable version tags exist to prevent.
//
// # Rules
//
//   - Version tags are immutable. Publishing a version whose tag already points
//     at the same digest is a successful no-op (Result.AlreadyReleased); at a
//     different digest it is refused with an error naming both digests, before
//     anything is written.
//   - Floating tags never move backwards. A floating tag moves only when the new
//     version is the highest non-prerelease version of its line, decided from
//     the registry's tag list (tags that are not prefix+strict-semver are
//     ignored). Releasing 1.0.1 after 1.1.0 moves v1.0 but not v1 or latest.
//   - Push once, tag by digest. Everything is decided first (the plan), then
//     the image is written by digest (repo@sha256:...), its manifest is read
//     back by digest and checked (bytes, digest, every referenced blob
//     present), the release record is written by digest, and
//     only then are tags created: the version tag, the floating tags, and last
//     the record tag, which marks the release complete. No tag can point at a
//     partial upload.
//   - Interrupted releases resume. If a previous attempt created the version tag
//     but died before the record tag, publishing the same image again finishes
//     the job (floating tags catch up, record written; Result.Resumed). A
//     complete release is never touched again, so a rollback is not undone by
//     re-publishing the newer version.
//   - Rollback(to) moves each floating tag of to's lines that points at a newer
//     release back to to's digest, explicitly overriding "never backwards". It
//     never moves a tag forward and refuses versions that were never released
//     and prereleases. The next release that is the highest of a line moves
//     that line's tags forward again.
//
// # Release records
//
// Each release (and each rollback) is described by a JSON Record, stored as a
// small OCI artifact in the same repository: an OCI image manifest with
// artifactType and the single layer media type RecordMediaType, an empty
// config ("{}", application/vnd.oci.empty.v1+json) and annotations naming the
// version and image digest. Records are tagged
//
//	<versiontag>_release   e.g. v1.2.3_release, 1.2.3_release
//	rollback_<n>           n = 0001, 0002, ... in the order rollbacks happened
//
// Semver forbids '_', and TagPrefix may not contain it, so a record tag is
// never mistaken for a version. Records are separate artifacts rather than
// annotations because annotating the image manifest would change the image
// digest. They carry no OCI "subject": go-containerregistry would then
// maintain a sha256-<hex> referrers fallback tag on registries without the
// referrers API (the distribution registry), cluttering the tag list.
//
// # Concurrency
//
// Publish and Rollback hold an exclusive per-repository lock (an flock in
// Options.LockDir) from the plan to the last tag, so concurrent releases on
// one host are serialized: two releases of the same version give one
// release and one no-op (same digest) or refusal (another digest), and
// releases of different versions leave the floating tags at the highest.
// Registries offer no compare-and-swap on tags, so publishers on different
// hosts must be serialized by the CI system (the release workflow uses a
// concurrency group per repository).
package publish
