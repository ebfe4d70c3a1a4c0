package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dagger/immutable/internal/memregistry"
	"dagger/immutable/sign"
)

// TestSignVerbs runs sign and verify-signature in process against an
// in-memory registry: sign by tag, verify by bare tag, then a retagged
// image fails.
func TestSignVerbs(t *testing.T) {
	ctx := context.Background()
	repo := memregistry.Start(t) + "/app"
	push := func() { memregistry.PushRandom(t, repo+":v1.0.0") }
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
