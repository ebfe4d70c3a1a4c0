// Package tarlayer is the project's one deterministic tar writer: the
// layers repro normalizes, the base images provision/bases builds and the
// Go SDK image provision/sdkimage assembles are all written by it, so a
// layer's bytes depend only on its file system objects and the epoch.
//
// Every header is canonical (Header): a clean name ("./" for the root, a
// trailing "/" for directories), type, link target, size of regular files,
// permission bits, numeric owner, device numbers of devices, extended
// attributes, and the mtime the TimeMode gives; no user or group names, no
// access or change times, PAX format. Write also fixes the order (by name,
// parents before children) and hard links (the first name of a group in
// that order carries the content).
package tarlayer
