package main

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/immutable/sign"
)

// TestSignVerbs runs sign and verify-signature in process against an
// in-memory registry: sign by tag, verify by bare tag, then a retagged
// image fails.
func TestSignVerbs(t *testing.T) {
	ctx := context.Background()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	repo := strings.TrimPrefix(s.URL, "http://") + "/app"
	push := func() {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		tag, err := name.NewTag(repo + ":v1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(tag, img); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	priv, pub, err := sign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	keyPath, pubPath := filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	os.WriteFile(keyPath, priv, 0o600)
	os.WriteFile(pubPath, pub, 0o644)
	t.Setenv(passwordEnv, "pw")
	push()

	if err := cmdSign(ctx, []string{"--registry", repo, "--image", repo + ":v1.0.0", "--key", keyPath}); err != nil {
		t.Fatalf("sign: %v", err)
	}
	if err := cmdVerifySignature(ctx, []string{"--registry", repo, "--image", "v1.0.0", "--key", pubPath}); err != nil {
		t.Fatalf("verify-signature: %v", err)
	}
	t.Setenv(passwordEnv, "wrong")
	if err := cmdSign(ctx, []string{"--registry", repo, "--image", "v1.0.0", "--key", keyPath}); err == nil || !strings.Contains(err.Error(), "wrong password?") {
		t.Errorf("sign with a wrong password = %v, want a wrong password error", err)
	}
	push()
	err = cmdVerifySignature(ctx, []string{"--registry", repo, "--image", "v1.0.0", "--key", pubPath})
	if err == nil || !strings.Contains(err.Error(), "no signature") {
		t.Errorf("verify-signature after retagging = %v, want no signature", err)
	}
}
