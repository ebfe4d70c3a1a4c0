// Package sbom writes a CycloneDX (1.6, JSON) software bill of materials
// for a runtime image and stores it next to the image in a registry.
//
// Generate lists:
//
//   - the npm production dependencies from the app's lockfile, read by
//     package lockfile (package-lock.json lockfileVersion 2 or 3, where
//     entries marked "dev": true are left out and "devOptional" and
//     optional ones kept because `npm ci --omit=dev` installs them;
//     yarn.lock v1 and berry, pnpm-lock.yaml 9, where production is what
//     package.json's dependencies and optionalDependencies reach): name, version,
//     pkg:npm/<scope>/<name>@<version>, the integrity hash (SRI base64 to
//     hex: SHA-512, SHA-384, SHA-256 or SHA-1; none for yarn berry, whose
//     checksum is of its own zip) and the license package-lock.json
//     records;
//   - the base image's Debian packages from the image's dpkg status:
//     /var/lib/dpkg/status.d/<pkg> stanzas (distroless layout, our
//     runtime base) and /var/lib/dpkg/status (normal Debian images), only
//     "install ok installed" ones, as
//     pkg:deb/debian/<name>@<version>?arch=<arch>&distro=debian-<N>
//     plus upstream=<source> when the source package is named differently.
//
// metadata.component is the image itself (type container, the version
// label, the manifest digest as a SHA-256 hash and a pkg:oci purl).
//
// The output is deterministic: components are sorted by purl, the
// serialNumber is a UUID derived from the image digest, and the timestamp
// is the image's org.opencontainers.image.created label (SOURCE_DATE_EPOCH),
// else Options.Created, else the config's created time; the clock is never
// read. The same image and lockfile give the same bytes.
//
// SPDX converts the same SBOM to an SPDX 2.3 document (same packages,
// purls, hashes and declared licenses).
//
// Artifact.Push and Fetch store and read the SBOM with cosign's legacy tag
// convention: the SBOM of repo@sha256:<hex> is the artifact tagged
// sha256-<hex>.sbom in the same repository, an OCI image manifest
// (artifactType and single layer application/vnd.cyclonedx+json, empty
// config, no subject). Releases also attach both SBOMs as OCI 1.1
// referrers of the image (package attest); the tag stays for releases made
// before that and for tools that read it.
//
// The package does not import Dagger and needs no engine.
package sbom
