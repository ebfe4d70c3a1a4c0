// Package sign makes and checks cosign-compatible "simple signing"
// signatures of image digests with a key pair, stored in the registry the way
// cosign (v2, key-based, no transparency log) stores them:
//
//   - The payload is the simple-signing JSON
//     {"critical":{"identity":{"docker-reference":"<repo>"},"image":{"docker-manifest-digest":"sha256:..."},"type":"cosign container image signature"},"optional":null}
//     (github.com/sigstore/sigstore/pkg/signature/payload).
//   - The signature is ECDSA (or RSA PKCS#1 v1.5) over SHA-256 of the
//     payload, ASN.1 encoded, base64 in the layer annotation
//     dev.cosignproject.cosign/signature.
//   - Each signature is one layer (media type
//     application/vnd.dev.cosign.simplesigning.v1+json, the payload bytes)
//     of an OCI image tagged sha256-<hex>.sig in the image's repository.
//     Signing again appends a layer; existing signatures are kept.
//
// Verify accepts an image when at least one signature layer verifies with the
// public key and its payload names exactly that digest. Retagging another
// image (a different digest) under a signed tag therefore fails: the new
// digest has no sha256-<hex>.sig, or a copied one names the old digest.
//
// Keys: cosign's encrypted private key PEM (ENCRYPTED SIGSTORE PRIVATE KEY,
// scrypt + NaCl secretbox, as written by `cosign generate-key-pair`; the
// password is what cosign reads from COSIGN_PASSWORD), or an unencrypted
// PKCS#8 / SEC 1 EC PEM; public keys as PKIX PEM (cosign.pub).
//
// The package has no Dagger import. It signs only with a key: no Fulcio
// certificate, no Rekor entry (verify with `cosign verify --key cosign.pub
// --insecure-ignore-tlog=true`).
package sign
