package attest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
)

// Media and payload types of DSSE attestations.
const (
	// InTotoPayloadType is the DSSE payloadType of an in-toto statement.
	InTotoPayloadType = "application/vnd.in-toto+json"
	// DSSEMediaType is the media type of a DSSE envelope (cosign's
	// attestation layers, our signed provenance artifact).
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
)

// SignEnvelope wraps payload (an in-toto statement) in a DSSE envelope
// signed with key, as `cosign attest` does: the signature is over the PAE
// of payloadType and payload, SHA-256, ECDSA (ASN.1) or RSA PKCS#1 v1.5.
// ECDSA signatures are deterministic (RFC 6979), so the same statement and
// key give the same envelope.
func SignEnvelope(payload []byte, key crypto.Signer) ([]byte, error) {
	switch key.Public().(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey:
	default:
		return nil, fmt.Errorf("attest: %T keys are not supported (want ECDSA or RSA)", key.Public())
	}
	s, err := ssldsse.NewEnvelopeSigner(deterministicSigner{key})
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	env, err := s.SignPayload(context.Background(), InTotoPayloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("attest: signing: %w", err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("attest: encoding envelope: %w", err)
	}
	return b, nil
}

// deterministicSigner signs SHA-256 of the PAE with a nil random source:
// RFC 6979 for ECDSA (Go's crypto/ecdsa), PKCS#1 v1.5 for RSA.
type deterministicSigner struct{ key crypto.Signer }

func (d deterministicSigner) Sign(_ context.Context, data []byte) ([]byte, error) {
	h := sha256.Sum256(data)
	return d.key.Sign(nil, h[:], crypto.SHA256)
}

// KeyID is empty, as in cosign's envelopes.
func (d deterministicSigner) KeyID() (string, error) { return "", nil }

// OpenEnvelope checks a DSSE envelope's signature with pub and returns its
// in-toto payload.
func OpenEnvelope(envelope []byte, pub crypto.PublicKey) ([]byte, error) {
	var env ssldsse.Envelope
	if err := json.Unmarshal(envelope, &env); err != nil {
		return nil, fmt.Errorf("attest: decoding DSSE envelope: %w", err)
	}
	if env.PayloadType != InTotoPayloadType {
		return nil, fmt.Errorf("attest: DSSE payloadType is %q, want %q", env.PayloadType, InTotoPayloadType)
	}
	if len(env.Signatures) == 0 {
		return nil, errors.New("attest: DSSE envelope has no signature")
	}
	sv, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("attest: loading verifier: %w", err)
	}
	v, err := ssldsse.NewEnvelopeVerifier(&sigdsse.VerifierAdapter{SignatureVerifier: sv})
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	if _, err := v.Verify(context.Background(), &env); err != nil {
		return nil, fmt.Errorf("attest: DSSE signature does not verify with the given public key: %w", err)
	}
	return env.DecodeB64Payload()
}

// EnvelopePayload returns a DSSE envelope's payload without checking its
// signature (for listing what a registry holds).
func EnvelopePayload(envelope []byte) ([]byte, error) {
	var env ssldsse.Envelope
	if err := json.Unmarshal(envelope, &env); err != nil {
		return nil, fmt.Errorf("attest: decoding DSSE envelope: %w", err)
	}
	return env.DecodeB64Payload()
}
