package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadToken: env: and file: sources give the value; a missing, empty
// or malformed source is an error that names the source, never a value.
func TestReadToken(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	t.Setenv("IMMUTABLE_TEST_NPM_TOKEN", secret)
	t.Setenv("IMMUTABLE_TEST_EMPTY", "")
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from, want, wantErr string
	}{
		{from: "env:IMMUTABLE_TEST_NPM_TOKEN", want: secret},
		{from: "file:" + file, want: secret},
		{from: "env:IMMUTABLE_TEST_EMPTY", wantErr: "$IMMUTABLE_TEST_EMPTY is empty or unset"},
		{from: "file:" + empty, wantErr: "the file is empty"},
		{from: "file:" + filepath.Join(dir, "nope"), wantErr: "no such file"},
		{from: "IMMUTABLE_TEST_NPM_TOKEN", wantErr: "want env:NAME"},
		{from: "env:", wantErr: "want env:NAME"},
		{from: secret, wantErr: "want env:NAME"},
	} {
		got, err := readToken(tc.from)
		if tc.wantErr == "" {
			if err != nil || got != tc.want {
				t.Errorf("readToken(%q) = %q, %v; want the token", tc.from, got, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("readToken(%q) error = %v, want one containing %q", tc.from, err, tc.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("readToken(%q) error shows the token: %v", tc.from, err)
		}
	}
}

// TestHostPort: --npm-registry-service takes tcp://HOST:PORT only.
func TestHostPort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		host string
		port int
		ok   bool
	}{
		{"tcp://localhost:4873", "localhost", 4873, true},
		{"tcp://127.0.0.1:1", "127.0.0.1", 1, true},
		{"http://localhost:4873", "", 0, false},
		{"tcp://localhost", "", 0, false},
		{"tcp://localhost:0", "", 0, false},
		{"tcp://localhost:70000", "", 0, false},
		{"tcp://localhost:4873/path", "", 0, false},
		{"localhost:4873", "", 0, false},
	} {
		host, port, err := hostPort(tc.in)
		if tc.ok && (err != nil || host != tc.host || port != tc.port) {
			t.Errorf("hostPort(%q) = %q, %d, %v; want %q, %d", tc.in, host, port, err, tc.host, tc.port)
		}
		if !tc.ok && err == nil {
			t.Errorf("hostPort(%q) = %q, %d; want an error", tc.in, host, port)
		}
	}
}
