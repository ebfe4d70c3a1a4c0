package checks

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		path, pkg, status string
	}{
		{"app/node_modules/node-gyp/test/fixtures/server.key", "node_modules/node-gyp", StatusWarning},
		{"app/node_modules/@scope/pkg/Fixtures/key.pem", "node_modules/@scope/pkg", StatusWarning},
		{"app/node_modules/a/node_modules/b/examples/tls/key.pem", "node_modules/a/node_modules/b", StatusWarning},
		{"app/node_modules/a/test/node_modules/fake/key.pem", "node_modules/a/test/node_modules/fake", StatusWarning},
		{"app/node_modules/a/docs/setup.md", "node_modules/a", StatusWarning},
		// documents a package ships (dotenv's README has an example key)
		{"app/node_modules/dotenv/README.md", "node_modules/dotenv", StatusWarning},
		{"app/node_modules/dotenv/README-es.md", "node_modules/dotenv", StatusWarning},
		{"app/node_modules/a/CHANGELOG", "node_modules/a", StatusWarning},
		{"app/README.md", "", StatusBlocking},
		// shipped code of a dependency, and packages named like data dirs
		{"app/node_modules/a/lib/key.pem", "node_modules/a", StatusBlocking},
		{"app/node_modules/test/key.pem", "node_modules/test", StatusBlocking},
		{"app/node_modules/@test/fixtures/key.pem", "node_modules/@test/fixtures", StatusBlocking},
		{"app/node_modules/a/test", "node_modules/a", StatusBlocking}, // a file called test
		// the app's own files and the rest of the image
		{"app/test/fixtures/key.pem", "", StatusBlocking},
		{"app/examples/key.pem", "", StatusBlocking},
		{"app/node_modules/.package-lock.json", "", StatusBlocking},
		{"app/node_modules/.cache/x/test/key.pem", "", StatusBlocking},
		{"home/node/.ssh/id_rsa", "", StatusBlocking},
		{"usr/lib/node_modules/x/test/key.pem", "", StatusBlocking},
	} {
		pkg, _, _ := dependencyFile(tc.path, "app")
		if got := classify(tc.path, "app"); got != tc.status || pkg != tc.pkg {
			t.Errorf("classify(%q) = %s in package %q, want %s in %q", tc.path, got, pkg, tc.status, tc.pkg)
		}
	}
}

// privateKey is built at run time so the repository holds no key header
// outside fixtures.
var privateKey = "-----BEGIN " + "PRIVATE KEY-----\nMIIB\n"

func secretsResult(t *testing.T, s spec, o Options) (Result, error) {
	t.Helper()
	results, err := Run(s.image(t), o)
	for _, r := range results {
		if r.Name == RuleNoSecrets {
			return r, err
		}
	}
	t.Fatalf("no %s result (err %v)", RuleNoSecrets, err)
	return Result{}, nil
}

// TestDependencyTestDataWarns: node-gyp's test certificate in the
// production dependencies is a warning, not a block, and says where it is.
func TestDependencyTestDataWarns(t *testing.T) {
	s := good().with(file{name: "app/node_modules/node-gyp/test/fixtures/server.key", body: privateKey})
	r, err := secretsResult(t, s, Options{})
	if err != nil || !r.Passed {
		t.Fatalf("Run() = %v, %+v; want no-secrets to pass with a warning", err, r)
	}
	if len(r.Findings) != 1 {
		t.Fatalf("Findings = %+v, want one", r.Findings)
	}
	f := r.Findings[0]
	if f.Status != StatusWarning || f.Path != "/app/node_modules/node-gyp/test/fixtures/server.key" || f.What != "private key" || f.Layer != 3 {
		t.Errorf("finding = %+v", f)
	}
	if !strings.Contains(r.Details, "1 warning") {
		t.Errorf("Details = %q, want it to count the warning", r.Details)
	}
}

// TestAppKeyBlocks: the same key in the app's own files, or in a
// dependency's shipped code, blocks with a message that says whose file it
// is and what to do.
func TestAppKeyBlocks(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"app/certs/server.key", "layer 3: /app/certs/server.key: private key, in the app's own files: remove it or exclude it in .dockerignore; if it must ship, accept it in .immutable-accept.yaml with a reason"},
		{"app/node_modules/acme-config/keys/prod.pem", "layer 3: /app/node_modules/acme-config/keys/prod.pem: private key, in dependency node_modules/acme-config, in files it ships"},
		{"etc/ssl/private/x.pem", ""}, // not scanned by content outside the app
	} {
		r, err := secretsResult(t, good().with(file{name: tc.path, body: privateKey}), Options{})
		if tc.want == "" {
			if !r.Passed {
				t.Errorf("%s: %+v, want pass", tc.path, r)
			}
			continue
		}
		if r.Passed || err == nil || !strings.Contains(err.Error(), "no-secrets: "+tc.want) {
			t.Errorf("%s: Run() error = %v, want it to contain %q", tc.path, err, tc.want)
		}
	}
	// A key in Env blocks and cannot be accepted.
	s := good()
	s.env = append(s.env, "TLS_KEY="+privateKey)
	r, err := secretsResult(t, s, Options{Accept: []Acceptance{{Rule: RuleNoSecrets, Path: "TLS_KEY", Reason: "x"}}})
	if r.Passed || err == nil || !strings.Contains(err.Error(), "config Env TLS_KEY holds a private key") {
		t.Errorf("key in Env: %v, want a block", err)
	}
}

// TestAcceptedFindings: an accepted finding passes with its reason, in the
// app's files or a dependency's; an entry matching nothing is stale; a
// finding not listed still blocks.
func TestAcceptedFindings(t *testing.T) {
	s := good().with(
		file{name: "app/certs/dev.key", body: privateKey},
		file{name: "app/node_modules/sdk/lib/sample.pem", body: privateKey},
		file{name: "app/node_modules/node-gyp/test/fixtures/server.key", body: privateKey},
	)
	accept := []Acceptance{
		{Rule: RuleNoSecrets, Path: "certs/dev.key", Reason: "self-signed key for the local demo"},
		{Rule: RuleNoSecrets, Path: "/app/node_modules/sdk/lib/sample.pem", Reason: "the SDK's public sample"},
		{Rule: RuleNoSecrets, Path: "node_modules/gone/key.pem", Reason: "old"},
	}
	r, err := secretsResult(t, s, Options{Accept: accept})
	if err != nil || !r.Passed {
		t.Fatalf("Run() = %v, %+v; want pass", err, r)
	}
	got := map[string]Finding{}
	for _, f := range r.Findings {
		got[f.Path] = f
	}
	for p, want := range map[string]string{
		"/app/certs/dev.key":                                  StatusAccepted + " self-signed key for the local demo",
		"/app/node_modules/sdk/lib/sample.pem":                StatusAccepted + " the SDK's public sample",
		"/app/node_modules/node-gyp/test/fixtures/server.key": StatusWarning + " ",
		"/app/node_modules/gone/key.pem":                      StatusStale + " old",
	} {
		if f := got[p]; f.Status+" "+f.Reason != want {
			t.Errorf("%s: %s %q, want %s", p, f.Status, f.Reason, want)
		}
	}
	if !strings.Contains(r.Details, "1 warning, 2 accepted, 1 stale") {
		t.Errorf("Details = %q", r.Details)
	}

	// Without its entry the app's key blocks again.
	r, err = secretsResult(t, s, Options{Accept: accept[1:]})
	if r.Passed || err == nil || !strings.Contains(err.Error(), "/app/certs/dev.key: private key, in the app's own files") {
		t.Errorf("without the entry: %v, want /app/certs/dev.key to block", err)
	}
}
