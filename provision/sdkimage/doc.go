// Package sdkimage builds the Go SDK runtime image the Dagger engine loads
// for Go modules, so `dagger call` on a Go module works without Docker Hub.
//
// The engine (core/sdk/go_sdk.go goSDK.base) reads the image from the OCI
// content store at /usr/local/share/dagger/content (blobs/sha256/<hex>) by the
// manifest digest in its env DAGGER_GO_SDK_MANIFEST_DIGEST. The manifest must
// be a single-platform OCI image manifest (not an index): the engine builds the
// descriptor with media type application/vnd.oci.image.manifest.v1+json.
//
// The image (linux/amd64, OCI media types, gzip layers, fixed mtimes) holds:
//
//	base     a small Debian bookworm userland from pinned .debs (git and
//	         openssh-client, which the SDK uses for `git config --global` and
//	         GIT_SSH_COMMAND; dash as /bin/sh; coreutils; CA certificates), merged /usr
//	go       the host's Go toolchain at /usr/local/go (same Go that built codegen)
//	codegen  /usr/local/bin/codegen
//	goproxy  /opt/goproxy: a file:// module proxy holding every module that
//	         dagger.io/dagger v0.21.8 and the repository's root module need,
//	         plus the two lookups the public proxy refuses here (the
//	         dagger.io/dagger commit codegen pins, querybuilder's @latest)
//	warm     /go/pkg/mod and /root/.cache/go-build pre-filled by building
//	         dagger.io/dagger inside the image, so the first call is fast,
//	         plus the sum.golang.org proof for dagger.io/dagger (codegen's
//	         go.sum lacks its hashes) in /go/pkg/mod/cache/download/sumdb and
//	         /go/pkg/sumdb, so the first call needs no network at all
//
// Env: GOTOOLCHAIN=local, GOPATH=/go, CGO_ENABLED=0 and
// GOPROXY=file:///opt/goproxy,https://proxy.golang.org.
//
// Ensure is idempotent: it hashes its inputs (Go version, codegen, the
// resolved .deb versions, the root module's go.mod/go.sum) into a stamp under
// CacheDir and reuses the image when the stamp matches and all its blobs exist.
//
// The warm layer keeps real mtimes: Go trims build-cache entries older than
// five days on first use, so fixed old mtimes would empty the warmed cache.
package sdkimage
