package sign

import (
	"context"
	"crypto"
	"math/rand"
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/internal/memregistry"
)

// newRepo starts an in-memory registry and returns a repository in it.
func newRepo(t *testing.T) name.Repository {
	t.Helper()
	return memregistry.Repo(t, "my-app")
}

// pushImage pushes a seeded random image under tag and returns its digest.
func pushImage(t *testing.T, repo name.Repository, tag string, seed int64) string {
	t.Helper()
	img, err := random.Image(1024, 2, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag(tag), img, remote.WithContext(context.Background())); err != nil {
		t.Fatal(err)
	}
	return digestOf(t, img)
}

func digestOf(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// keyPair generates a cosign-format key pair encrypted with password.
func keyPair(t *testing.T, password string) (crypto.Signer, crypto.PublicKey, []byte, []byte) {
	t.Helper()
	privPEM, pubPEM, err := GenerateKeyPair([]byte(password))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := LoadPrivateKey(privPEM, []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub, privPEM, pubPEM
}

func mustRepo(t *testing.T, s string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
