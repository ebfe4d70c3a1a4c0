package sign

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
)

// TestCosignInterop proves both directions against the real registry: the
// cosign CLI verifies our signatures, we verify cosign's, and a retagged
// image fails verification in both.
func TestCosignInterop(t *testing.T) {
	reg := testenv.Registry(t)
	ctx := context.Background()
	repo := mustRepo(t, fmt.Sprintf("%s/e2e-sign-%d", reg, time.Now().UnixNano()))
	dir := t.TempDir()
	const password = "interop-pw"

	t.Run("cosign verifies ours", func(t *testing.T) {
		d := pushImage(t, repo, "ours", time.Now().UnixNano())
		privPEM, pubPEM, err := GenerateKeyPair([]byte(password))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "ours.key"), privPEM)
		writeFile(t, filepath.Join(dir, "ours.pub"), pubPEM)
		key, err := LoadPrivateKey(privPEM, []byte(password))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Sign(ctx, repo, d, key); err != nil {
			t.Fatal(err)
		}
		out, err := testenv.RunCosign(t, dir, "", "verify", "--key", "ours.pub", "--insecure-ignore-tlog=true", "--allow-insecure-registry", repo.Name()+"@"+d)
		if err != nil || !strings.Contains(out, `"docker-manifest-digest":"`+d+`"`) {
			t.Fatalf("cosign verify of our signature: %v\n%s", err, out)
		}
		// cosign reads our encrypted private key too.
		out, err = testenv.RunCosign(t, dir, password, "public-key", "--key", "ours.key")
		if err != nil || strings.TrimSpace(out) != strings.TrimSpace(string(pubPEM)) {
			t.Errorf("cosign public-key --key ours.key = %v\n%s\nwant\n%s", err, out, pubPEM)
		}
	})

	var cosignSigned string
	t.Run("we verify cosign's", func(t *testing.T) {
		cosignSigned = pushImage(t, repo, "theirs", time.Now().UnixNano())
		if out, err := testenv.RunCosign(t, dir, password, "generate-key-pair"); err != nil {
			t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
		}
		ref := repo.Name() + "@" + cosignSigned
		if out, err := testenv.RunCosign(t, dir, password, "sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-insecure-registry", "-y", ref); err != nil {
			t.Fatalf("cosign sign: %v\n%s", err, out)
		}
		pub, err := LoadPublicKey(readFile(t, filepath.Join(dir, "cosign.pub")))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(ctx, repo, cosignSigned, pub); err != nil {
			t.Fatalf("Verify of cosign's signature: %v", err)
		}
		// We load cosign's encrypted key and append a second signature;
		// cosign then sees both.
		key, err := LoadPrivateKey(readFile(t, filepath.Join(dir, "cosign.key")), []byte(password))
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(ctx, repo, cosignSigned, key)
		if err != nil {
			t.Fatal(err)
		}
		if s.Kept != 1 {
			t.Errorf("Kept = %d, want cosign's signature kept", s.Kept)
		}
		if err := s.Push(ctx); err != nil {
			t.Fatal(err)
		}
		v, err := Verify(ctx, repo, cosignSigned, pub)
		if err != nil || v.Valid != 2 {
			t.Fatalf("Verify after appending = %+v, %v, want 2 valid signatures", v, err)
		}
		out, err := testenv.RunCosign(t, dir, "", "verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--allow-insecure-registry", "--output", "json", ref)
		if err != nil || strings.Count(out, `"docker-manifest-digest":"`+cosignSigned+`"`) != 2 {
			t.Fatalf("cosign verify after appending: %v, want 2 signatures\n%s", err, out)
		}
	})

	t.Run("tampered tag fails", func(t *testing.T) {
		if cosignSigned == "" {
			t.Skip("needs the previous subtest")
		}
		tampered := pushImage(t, repo, "theirs", time.Now().UnixNano())
		pub, err := LoadPublicKey(readFile(t, filepath.Join(dir, "cosign.pub")))
		if err != nil {
			t.Fatal(err)
		}
		ref := repo.Name() + ":theirs"
		_, err = VerifyRef(ctx, mustRef(t, ref), pub)
		want := ref + " now points at " + tampered + ": verifying " + repo.Name() + "@" + tampered + ": no signature"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("VerifyRef(%s) = %v, want error containing %q", ref, err, want)
		}
		t.Logf("tampered: %v", err)
		if out, err := testenv.RunCosign(t, dir, "", "verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--allow-insecure-registry", ref); err == nil {
			t.Errorf("cosign verify of the tampered tag succeeded:\n%s", out)
		}
	})
}
