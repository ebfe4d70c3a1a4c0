// Package pipeline holds the stages of an immutable release, each written
// once and called by both surfaces: the Dagger module (main.go) and the plain
// Go program in ci/.
//
//   - Build turns a Node.js source directory into a runtime image from pinned
//     bases (build.go), and Image makes it byte-for-byte reproducible
//     (image.go).
//   - Test runs unit tests, lint, a smoke test and image checks concurrently
//     (test.go).
//   - Verify builds twice, independently, and compares digests (verify.go).
//   - Release gates publishing on all of the above (release.go).
//
// Stages take a *dagger.Client from dagger.io/dagger: ci/ gets one from
// dagger.Connect, the module from the session it runs in.
package pipeline
