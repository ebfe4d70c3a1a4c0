package pipeline_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger/immutable/attest"
	"dagger/immutable/internal/faultproxy"
	"dagger/immutable/internal/memregistry"
	"dagger/immutable/internal/testenv"
	"dagger/immutable/pipeline"
	"dagger/immutable/sign"
)

// TestReferrersRelease releases the fixture, signed, to the real local
// registry (Debian's docker-registry: no referrers API, so the tag
// fallback) through a proxy that refuses to overwrite any tag, as a
// registry with immutable tags does. The release lands with signature,
// SBOMs and provenance; verify-release and the cosign CLI (verify,
// verify-attestation --type slsaprovenance1) accept them; the same
// release again is a no-op; verify-release says NO, naming why, for an
// image that was not released and for the wrong key.
func TestReferrersRelease(t *testing.T) {
	c := testenv.Client(t)
	reg := testenv.Registry(t)
	p, err := faultproxy.New("http://" + reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	p.Add(faultproxy.Rule{Match: faultproxy.TagPut, Times: faultproxy.Always, Fault: faultproxy.ImmutableTags()})
	path := fmt.Sprintf("e2e-attest-%d", time.Now().UnixNano())
	repo := p.Host + "/" + path
	dir := t.TempDir()
	const pw = "attest-pw"
	priv, pub, err := sign.GenerateKeyPair([]byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cosign.pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	release := func() (*pipeline.ReleaseReport, error) {
		return pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{
			Build: options(c, testenv.Path("fixtures", "app"), "1.0.0"), Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir(),
			SigningKey: priv, SigningPassword: []byte(pw),
		})
	}
	r, err := release()
	if err != nil {
		t.Fatalf("release onto a registry that refuses tag overwrites: %v", err)
	}
	var out strings.Builder
	r.Format(&out)
	t.Log(out.String())
	for _, k := range []string{"provenance", "sbom:cyclonedx", "sbom:spdx", "signature", "cosign:att"} {
		if r.Attestations[k] == "" || r.Result.Record.Attestations[k] != r.Attestations[k] {
			t.Errorf("attestation %s: report %q, record %q", k, r.Attestations[k], r.Result.Record.Attestations[k])
		}
	}
	tags := testenv.Tags(t, reg+"/"+path)
	base := strings.Replace(r.Digest, ":", "-", 1)
	for _, tag := range []string{base, base + ".sig", base + ".att", base + ".sbom"} {
		if tags[tag] == "" {
			t.Errorf("tag %s missing after the release: %v", tag, tags)
		}
	}

	t.Run("verify-release says yes", func(t *testing.T) {
		chk, err := pipeline.VerifyRelease(ctx(t), pipeline.Registry{}, repo+":v1.0.0", pub)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		chk.Format(&b)
		t.Log(b.String())
		if err := chk.Err(); err != nil || len(chk.Checks) != 5 || chk.Digest != r.Digest || !strings.Contains(b.String(), "YES") {
			t.Errorf("VerifyRelease = %d checks, digest %s, %v; want 5 passing checks for %s", len(chk.Checks), chk.Digest, err, r.Digest)
		}
	})

	t.Run("cosign CLI accepts signature and provenance", func(t *testing.T) {
		ref := repo + ":v1.0.0"
		if _, err := testenv.RunCosign(t, dir, "", "verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", ref); err != nil {
			t.Errorf("cosign verify: %v", err)
		}
		out, err := testenv.RunCosign(t, dir, "", "verify-attestation", "--type", "slsaprovenance1", "--key", "cosign.pub", "--insecure-ignore-tlog=true", ref)
		if err != nil {
			t.Fatalf("cosign verify-attestation --type slsaprovenance1: %v", err)
		}
		// cosign prints each verified envelope; its payload is our statement.
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var env struct{ Payload []byte }
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &env); err != nil {
			t.Fatalf("cosign's output does not end with the envelope: %v", err)
		}
		st, err := attest.ParseStatement(env.Payload)
		if err != nil || st.SubjectDigest() != r.Digest {
			t.Errorf("statement cosign verified: %v, subject %s, want %s", err, st.SubjectDigest(), r.Digest)
		}
	})

	t.Run("same release again is a no-op", func(t *testing.T) {
		before := testenv.Tags(t, reg+"/"+path)
		again, err := release()
		if err != nil {
			t.Fatalf("re-release: %v", err)
		}
		if !again.Result.AlreadyReleased {
			t.Error("re-release did not report AlreadyReleased")
		}
		if after := testenv.Tags(t, reg+"/"+path); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("tags changed: %v -> %v", before, after)
		}
	})

	t.Run("verify-release names what is wrong", func(t *testing.T) {
		other := memregistry.PushRandom(t, reg+"/"+path+":not-released")
		chk, err := pipeline.VerifyRelease(ctx(t), pipeline.Registry{}, repo+":not-released", pub)
		if err != nil {
			t.Fatal(err)
		}
		if err := chk.Err(); err == nil || !strings.Contains(err.Error(), "record: no release") || !strings.Contains(err.Error(), other) {
			t.Errorf("VerifyRelease(unreleased image) = %v, want a missing record for %s", err, other)
		}
		_, wrongPub, _ := sign.GenerateKeyPair(nil)
		chk, err = pipeline.VerifyRelease(ctx(t), pipeline.Registry{}, repo+":v1.0.0", wrongPub)
		if err != nil {
			t.Fatal(err)
		}
		if err := chk.Err(); err == nil || !strings.Contains(err.Error(), "signature:") {
			t.Errorf("VerifyRelease(wrong key) = %v, want a signature failure first", err)
		}
	})

	t.Run("releases lists the attestations", func(t *testing.T) {
		h, err := pipeline.Releases(ctx(t), pipeline.Registry{Repo: repo})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Releases) != 1 || strings.Join(h.Releases[0].Attestations, ",") != "signature,provenance,sbom:cyclonedx,sbom:spdx,sbom(tag)" {
			t.Errorf("Releases = %+v", h.Releases)
		}
	})
}
