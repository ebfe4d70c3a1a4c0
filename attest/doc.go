// Package attest makes and reads the attachments of a released image:
// SLSA provenance v1 (an in-toto statement, DSSE-signed with the release
// key), SBOMs and signatures, as OCI 1.1 artifacts whose subject is the
// image digest, and the tags the cosign CLI reads.
//
// Everything a release attaches is built first, in memory and
// deterministically (ECDSA signatures use RFC 6979, statements carry no
// clock time), so re-running a release makes the same bytes. Push then
// writes blobs and manifests by digest and each tag once:
//
//   - on a registry with the referrers API (GET /v2/<name>/referrers/<digest>
//     answers 200), no tag at all is needed for the referrers;
//   - otherwise the OCI referrers tag schema is used: the index tagged
//     sha256-<hex> lists every attachment of the release, written once
//     after the manifests it lists (go-containerregistry's own fallback,
//     which rewrites the tag once per manifest, is turned off for them);
//   - cosign v2's tags, sha256-<hex>.sig (simple signing) and
//     sha256-<hex>.att (DSSE attestations), are written once per digest
//     when the release is signed: `cosign verify` and `cosign
//     verify-attestation` read them and nothing else by default.
//
// A tag that already holds exactly what the release would write is left
// alone; one that holds something else is only rewritten when the union
// differs, which a registry with immutable tags refuses: the error names the
// tag. List reads the referrers through the API or the fallback tag
// (go-containerregistry's remote.Referrers).
//
// The package does not import Dagger and needs no engine.
package attest
