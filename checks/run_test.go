package checks

import (
	"errors"
	"strings"
	"testing"
)

// Built at run time so the repository itself holds no token-shaped string.
var npmToken = "npm_" + strings.Repeat("a1B2", 9)

func TestRunGoodImage(t *testing.T) {
	o := Options{DevDependencies: []string{"jest", "@types/node"}, BaseDigest: "localhost:5000/immutable/node-runtime@" + baseDigest, Version: "1.2.3"}
	results, err := Run(good().image(t), o)
	if err != nil {
		t.Fatalf("Run(good image) error = %v", err)
	}
	want := []string{RuleNonRoot, RuleNoDevDependencies, RuleNoSecrets, RuleLabels, RuleNoNPMCache}
	if len(results) != len(want) {
		t.Fatalf("Run() gave %d results, want %d", len(results), len(want))
	}
	for i, r := range results {
		if r.Name != want[i] || !r.Passed || r.Details == "" {
			t.Errorf("result %d = %+v, want %s passed with details", i, r, want[i])
		}
	}
}

// TestRunRules proves each rule can fail (and, for borderline inputs, pass).
func TestRunRules(t *testing.T) {
	ssh := file{name: "home/node/.ssh/id_rsa", body: "-----BEGIN OPENSSH PRIVATE KEY-----"}
	tests := []struct {
		name string
		spec spec
		opts Options
		rule string // failing rule, "" when everything passes
		want string // in the rule's details
	}{
		// non-root
		{name: "user unset", spec: func() spec { s := good(); s.user = ""; return s }(), rule: RuleNonRoot, want: "not set"},
		{name: "user root", spec: func() spec { s := good(); s.user = "root"; return s }(), rule: RuleNonRoot, want: `"root"`},
		{name: "user 0:0", spec: func() spec { s := good(); s.user = "0:0"; return s }(), rule: RuleNonRoot, want: `"0:0"`},
		{name: "name with uid 0", spec: func() spec {
			s := good().with(file{name: "etc/passwd", body: "toor:x:0:0::/root:/bin/sh\n"})
			s.user = "toor"
			return s
		}(), rule: RuleNonRoot, want: "uid 0"},
		{name: "unknown user", spec: func() spec { s := good(); s.user = "ghost"; return s }(), rule: RuleNonRoot, want: "not in /etc/passwd"},
		{name: "numeric user with root group", spec: func() spec { s := good(); s.user = "1000:0"; return s }()},

		// dev dependencies
		{name: "dev dependency installed", spec: good().with(file{name: "app/node_modules/jest/package.json", body: "{}"}),
			opts: Options{DevDependencies: []string{"jest"}}, rule: RuleNoDevDependencies, want: "jest is installed at /app/node_modules/jest"},
		{name: "scoped dev dependency, dir only", spec: good().with(file{name: "app/node_modules/@types/node/"}),
			opts: Options{DevDependencies: []string{"@types/node"}}, rule: RuleNoDevDependencies, want: "@types/node"},
		{name: "lockfile path", spec: good().with(file{name: "app/node_modules/a/node_modules/b/index.js"}),
			opts: Options{DevDependencies: []string{"node_modules/a/node_modules/b"}}, rule: RuleNoDevDependencies, want: "/app/node_modules/a/node_modules/b"},
		{name: "dev dependency in another app dir", spec: good().with(file{name: "srv/node_modules/jest/package.json"}),
			opts: Options{DevDependencies: []string{"jest"}, AppDir: "/srv"}, rule: RuleNoDevDependencies, want: "/srv/node_modules/jest"},
		{name: "dev dependency removed by whiteout", spec: good().
			with(file{name: "app/node_modules/jest/package.json", body: "{}"}).
			with(file{name: "app/node_modules/.wh.jest"}),
			opts: Options{DevDependencies: []string{"jest"}}},
		{name: "dev dependency removed by opaque dir", spec: good().
			with(file{name: "app/node_modules/jest/package.json", body: "{}"}).
			with(file{name: "app/node_modules/.wh..wh..opq"}, file{name: "app/node_modules/express/index.js"}),
			opts: Options{DevDependencies: []string{"jest"}}},
		{name: "hidden lockfile marks dev package", spec: good().with(
			file{name: "app/node_modules/.package-lock.json", body: `{"packages":{"node_modules/express":{},"node_modules/eslint":{"dev":true}}}`},
			file{name: "app/node_modules/eslint/package.json", body: "{}"}),
			rule: RuleNoDevDependencies, want: "/app/node_modules/eslint is a dev-only package"},

		// secrets
		{name: ".npmrc in app", spec: good().with(file{name: "app/.npmrc", body: "registry=https://registry.npmjs.org/"}),
			rule: RuleNoSecrets, want: "layer 3: /app/.npmrc: .npmrc in the app directory"},
		{name: "npm auth in root .npmrc", spec: good().with(file{name: "root/.npmrc", body: "//registry.npmjs.org/:_authToken=${NPM_TOKEN}"}),
			rule: RuleNoSecrets, want: "/root/.npmrc: .npmrc with registry auth"},
		{name: "root .npmrc without auth", spec: good().with(file{name: "root/.npmrc", body: "fund=false\n"})},
		{name: "deleted secret stays in lower layer", spec: good().
			with(file{name: "app/.npmrc", body: "_auth=dXNlcjpwYXNz"}).
			with(file{name: "app/.wh..npmrc"}),
			rule: RuleNoSecrets, want: "deleted by a later layer"},
		{name: ".env in app", spec: good().with(file{name: "app/.env", body: "DB_PASSWORD=x"}), rule: RuleNoSecrets, want: "/app/.env: .env file"},
		{name: ".env.production in app", spec: good().with(file{name: "app/config/.env.production", body: "X=1"}), rule: RuleNoSecrets, want: ".env file"},
		{name: "ssh key anywhere", spec: good().with(ssh), rule: RuleNoSecrets, want: "SSH private key"},
		{name: "ssh key allowed", spec: good().with(ssh), opts: Options{Allow: []string{"/home/node/.ssh"}}},
		{name: "npm token in app source", spec: good().with(file{name: "app/config.js", body: "const t = '" + npmToken + "'"}),
			rule: RuleNoSecrets, want: "/app/config.js: npm token"},
		{name: "token past scan bound", spec: good().with(file{name: "app/big.js", body: strings.Repeat(" ", 100) + npmToken}),
			opts: Options{MaxScanBytes: 50}},
		{name: "private key in app", spec: good().with(file{name: "app/key.pem", body: "-----BEGIN RSA PRIVATE KEY-----\n"}),
			rule: RuleNoSecrets, want: "private key"},
		{name: "secret env", spec: func() spec { s := good(); s.env = append(s.env, "NPM_TOKEN=abc"); return s }(),
			rule: RuleNoSecrets, want: "config Env NPM_TOKEN is set"},
		{name: "token in env value", spec: func() spec { s := good(); s.env = append(s.env, "X="+npmToken); return s }(),
			rule: RuleNoSecrets, want: "config Env X holds a npm token"},
		{name: "token in history", spec: func() spec {
			s := good()
			s.history = []string{"RUN echo //registry.npmjs.org/:_authToken=x > .npmrc"}
			return s
		}(),
			rule: RuleNoSecrets, want: "created_by holds a registry auth"},

		// labels
		{name: "label missing", spec: good().label("org.opencontainers.image.revision", ""), rule: RuleLabels, want: "org.opencontainers.image.revision is missing"},
		{name: "base digest differs", spec: good(), opts: Options{BaseDigest: "sha256:2222"}, rule: RuleLabels, want: "want pinned sha256:2222"},
		{name: "version differs", spec: good(), opts: Options{Version: "1.2.4"}, rule: RuleLabels, want: `want "1.2.4"`},
		{name: "created not RFC 3339", spec: good().label("org.opencontainers.image.created", "yesterday"), rule: RuleLabels, want: "not RFC 3339"},

		// npm cache and logs
		{name: "root npm cache", spec: good().with(file{name: "root/.npm/_cacache/index-v5/x", body: "x"}, file{name: "root/.npm/_logs/1.log", body: "x"}),
			rule: RuleNoNPMCache, want: "layer 3: /root/.npm: 2 entries"},
		{name: "user npm cache", spec: good().with(file{name: "home/node/.npm/"}), rule: RuleNoNPMCache, want: "/home/node/.npm"},
		{name: "npm-debug.log", spec: good().with(file{name: "app/npm-debug.log", body: "x"}), rule: RuleNoNPMCache, want: "/app/npm-debug.log"},
		{name: "pnpm store", spec: good().with(file{name: "root/.local/share/pnpm/store/v10/index/x", body: "x"}), rule: RuleNoNPMCache, want: "/root/.local/share/pnpm: 1 entries"},
		{name: "yarn berry cache", spec: good().with(file{name: "root/.yarn/berry/cache/koa.zip", body: "x"}), rule: RuleNoNPMCache, want: "/root/.yarn/berry"},
		{name: "project pnpm store", spec: good().with(file{name: "app/.pnpm-store/v10/x", body: "x"}), rule: RuleNoNPMCache, want: "/app/.pnpm-store"},
		{name: "deleted cache still counts", spec: good().with(file{name: "root/.npm/x", body: "x"}).with(file{name: "root/.wh..npm"}),
			rule: RuleNoNPMCache, want: "/root/.npm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			results, err := Run(tc.spec.image(t), tc.opts)
			for _, r := range results {
				failed := r.Name == tc.rule
				if r.Passed == failed {
					t.Errorf("%s: passed = %v (%s), want %v", r.Name, r.Passed, r.Details, !failed)
				}
				if failed && !strings.Contains(r.Details, tc.want) {
					t.Errorf("%s details = %q, want %q", r.Name, r.Details, tc.want)
				}
			}
			if (err != nil) != (tc.rule != "") {
				t.Fatalf("Run() error = %v, want failure of %q", err, tc.rule)
			}
			if err != nil && !strings.HasPrefix(err.Error(), tc.rule+": ") {
				t.Errorf("Run() error = %q, want it to start with %q", err, tc.rule+": ")
			}
		})
	}
}

func TestRunJoinsFailures(t *testing.T) {
	s := good().with(file{name: "app/.npmrc"}, file{name: "root/.npm/x"})
	s.user = ""
	_, err := Run(s.image(t), Options{})
	if err == nil {
		t.Fatal("Run() = nil, want failures")
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 3 {
		t.Fatalf("Run() error = %v, want 3 joined failures", err)
	}
}

func TestDevOnlyPackages(t *testing.T) {
	tests := []struct {
		name, lock string
		want       []string
	}{
		{"v3", `{"lockfileVersion":3,"packages":{"":{"devDependencies":{"jest":"1"}},"node_modules/jest":{"dev":true},"node_modules/a/node_modules/b":{"dev":true},"node_modules/express":{},"node_modules/debug":{"dev":false}}}`,
			[]string{"node_modules/a/node_modules/b", "node_modules/jest"}},
		{"v1", `{"lockfileVersion":1,"dependencies":{"mocha":{"dev":true},"ms":{}}}`, []string{"node_modules/mocha"}},
		{"none", `{"packages":{"node_modules/x":{}}}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DevOnlyPackages([]byte(tc.lock))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("DevOnlyPackages() = %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := DevOnlyPackages([]byte("{")); err == nil {
		t.Error("DevOnlyPackages(invalid) = nil error")
	}
}
