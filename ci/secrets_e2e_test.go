package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"

	"dagger/immutable/internal/testenv"
)

// TestCLISecretsNotPrinted runs `ci release` as users do, with Dagger's
// progress output on, a registry password and an npm token, against a
// password-protected registry: the release succeeds and neither secret
// (raw, base64 or URL-encoded) is anywhere in its output. With a wrong
// password it fails before building, saying so, without printing it.
func TestCLISecretsNotPrinted(t *testing.T) {
	testenv.Require(t)
	password, wrong, token := secretHex(t), secretHex(t), secretHex(t)
	reg := testenv.AuthRegistry(t, "ci", password)
	bin := buildCI(t)
	release := func(pw string) (string, error) {
		cmd := exec.Command(bin, "release", "--version", "1.0.0", "--progress",
			"--source", testenv.Path("fixtures", "app"), "--version-path", "/version", "--registry", reg+"/cli-app",
			"--username", "ci", "--password-env", "IMMUTABLE_TEST_PASSWORD", "--npm-token", "env:IMMUTABLE_TEST_NPM_TOKEN")
		cmd.Dir = testenv.Root()
		cmd.Env = append(os.Environ(), "IMMUTABLE_TEST_PASSWORD="+pw, "IMMUTABLE_TEST_NPM_TOKEN="+token)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}

	out, err := release(wrong)
	if err == nil || !strings.Contains(out, "registry refused the credentials") {
		t.Fatalf("release with a wrong password: err %v, want it refused before building; output:\n%s", err, out)
	}
	leaks := findSecrets(out, map[string]string{"wrong password": wrong, "npm token": token})

	out, err = release(password)
	if err != nil {
		t.Fatalf("release: %v\n%s", err, out)
	}
	if !strings.Contains(out, "pinned:") || !strings.Contains(out, "npm ci") {
		t.Fatalf("output lacks the release summary or Dagger's progress (npm ci): was it captured?\n%s", out)
	}
	leaks = append(leaks, findSecrets(out, map[string]string{"password": password, "npm token": token, "basic auth": "ci:" + password})...)
	for _, l := range leaks {
		t.Errorf("leak: %s", l)
	}
	if control := findSecrets("token="+token, map[string]string{"npm token": token}); len(control) != 1 {
		t.Errorf("control: the search did not find a planted token: %v", control)
	}
}

// findSecrets names each secret found in text, in any of its forms.
func findSecrets(text string, secrets map[string]string) []string {
	var found []string
	for name, s := range secrets {
		for _, f := range testenv.SecretForms(s) {
			if strings.Contains(text, f.Value) {
				found = append(found, name+" ("+f.Form+")")
			}
		}
	}
	return found
}

func secretHex(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
