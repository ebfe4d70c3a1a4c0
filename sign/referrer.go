package sign

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/signature"
)

// VerifyManifest checks the signature artifact m (an OCI 1.1 referrer of
// repo@digest, or any manifest with simple-signing layers) the way Verify
// checks the .sig image: at least one layer must verify with pub and name
// exactly digest. It returns how many did.
func VerifyManifest(ctx context.Context, repo name.Repository, m v1.Hash, digest string, pub crypto.PublicKey, opts ...remote.Option) (int, error) {
	verifier, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return 0, fmt.Errorf("loading verifier: %w", err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	desc, err := remote.Get(repo.Digest(m.String()), opts...)
	if err != nil {
		return 0, fmt.Errorf("reading signature %s: %w", m, err)
	}
	man, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return 0, fmt.Errorf("reading signature %s: %w", m, err)
	}
	valid := 0
	var why []string
	for i, l := range man.Layers {
		if l.MediaType != SimpleSigningMediaType {
			continue
		}
		if err := verifyLayer(repo, l, digest, verifier, opts); err != nil {
			why = append(why, fmt.Sprintf("signature %d: %v", i+1, err))
			continue
		}
		valid++
	}
	if valid == 0 {
		return 0, fmt.Errorf("signature %s: no valid signature for %s with this key: %s", m, digest, strings.Join(why, "; "))
	}
	return valid, nil
}
