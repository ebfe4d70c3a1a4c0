// Package scan matches an SBOM's packages against an offline advisory
// database in OSV format (https://ossf.github.io/osv-schema/).
//
// Load reads the database from a directory of *.json files (searched
// recursively) or a .zip of them, such as osv.dev's per-ecosystem all.zip
// exports (https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip).
// Withdrawn advisories are ignored.
//
// Scan takes the packages from the SBOM's purls:
//
//   - pkg:npm/… is matched against ecosystem "npm" advisories; SEMVER and
//     ECOSYSTEM ranges are compared as semantic versions
//     (Masterminds/semver).
//   - pkg:deb/debian/…?distro=debian-N is matched against "Debian:N" (and
//     plain "Debian") advisories by binary name and by source package
//     name (OSV's Debian records name source packages); ECOSYSTEM ranges
//     use dpkg version ordering (CompareDebian). A deb purl without a
//     distro qualifier matches every Debian release.
//
// A package is affected when its version is listed in affected[].versions
// or falls in a range: events sorted by version, "introduced" starts
// being affected, "fixed" stops at that version, "last_affected" stops
// after it; GIT ranges are ignored.
//
// Severity comes from database_specific.severity (GitHub's LOW, MODERATE,
// HIGH, CRITICAL; MODERATE is MEDIUM here), else from the highest CVSS v3
// base score in severity[] (computed exactly from the vector and bucketed
// as CVSS does: 0.1-3.9 LOW, 4.0-6.9 MEDIUM, 7.0-8.9 HIGH, 9.0+ CRITICAL).
// CVSS v4 vectors are approximated: without the v4 lookup tables, the
// impact metrics pick the bucket (any High impact on the vulnerable or
// subsequent system is HIGH, CRITICAL when also network/low
// complexity/no privileges/no interaction; otherwise MEDIUM or LOW).
// Advisories with neither are UNKNOWN, which never fails a scan unless the
// threshold is "unknown".
//
// Report.Err fails when a finding is at or above the threshold
// (Options.FailOn, default "high"; "none" never fails).
//
// The package does not import Dagger and needs no network.
package scan
