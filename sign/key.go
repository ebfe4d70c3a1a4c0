package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// LoadPrivateKey parses a PEM private key: cosign's encrypted format
// (ENCRYPTED SIGSTORE PRIVATE KEY or the older ENCRYPTED COSIGN PRIVATE KEY,
// decrypted with password), or an unencrypted PKCS#8 or EC PEM (password is
// then ignored). A nil password is the empty password, which cosign
// accepts too. The key must be ECDSA or RSA.
func LoadPrivateKey(pemBytes, password []byte) (crypto.Signer, error) {
	if password == nil {
		password = []byte{}
	}
	k, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		if b, _ := pem.Decode(pemBytes); b != nil && strings.HasPrefix(b.Type, "ENCRYPTED") {
			return nil, fmt.Errorf("loading private key: decrypting %s (wrong password? cosign reads it from COSIGN_PASSWORD): %w", b.Type, err)
		}
		return nil, fmt.Errorf("loading private key: %w", err)
	}
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		return k, nil
	case *rsa.PrivateKey:
		return k, nil
	default:
		return nil, fmt.Errorf("loading private key: %T is not supported (want ECDSA or RSA)", k)
	}
}

// LoadPublicKey parses a PEM public key (PKIX, as in cosign.pub).
func LoadPublicKey(pemBytes []byte) (crypto.PublicKey, error) {
	k, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("loading public key: %w", err)
	}
	return k, nil
}

// GenerateKeyPair returns a new ECDSA P-256 key pair as cosign's
// `generate-key-pair` writes it: the private key encrypted with password
// (ENCRYPTED SIGSTORE PRIVATE KEY; like cosign, an empty password still
// encrypts), the public key as PKIX PEM.
func GenerateKeyPair(password []byte) (privPEM, pubPEM []byte, err error) {
	if password == nil {
		password = []byte{}
	}
	privPEM, pubPEM, err = cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		return nil, nil, fmt.Errorf("generating key pair: %w", err)
	}
	return privPEM, pubPEM, nil
}
