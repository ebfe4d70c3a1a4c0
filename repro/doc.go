// Package repro makes container images reproducible and explains why two
// images differ.
//
// Normalize rewrites an exported image so that its digest depends only on
// its content: config and history times come from a SOURCE_DATE_EPOCH, every
// layer above the base is re-tarred with sorted entries, fixed timestamps,
// owner names dropped and a fixed gzip level. Diff compares two images down
// to the file and reports it as text and JSON. SourceDateEpoch picks the
// epoch; LoadTarball and WriteOCITarball move images between Dagger
// (Container.AsTarball / Container.Import) and go-containerregistry.
//
// The package uses go-containerregistry only; it does not import Dagger.
//
// Digests do not depend on the Go toolchain that runs the pipeline: layers
// are recompressed with github.com/klauspost/compress/gzip, whose version
// go.sum pins (the standard library's compress/gzip may change its output
// between Go releases, and machines may ignore go.mod's toolchain line).
package repro
