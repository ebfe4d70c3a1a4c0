package nodeapp

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const lockOK = `{"lockfileVersion":3,"packages":{"":{"dependencies":{"ms":"2.1.3"},"devDependencies":{"eslint":"10.15.0"}}}}`

func files(pkg, lock string) Files {
	f := Files{"package.json": []byte(pkg)}
	if lock != "" {
		f["package-lock.json"] = []byte(lock)
	}
	return f
}

func TestInspectFixture(t *testing.T) {
	dir := filepath.Join("..", "fixtures", "app")
	f := Files{}
	for _, name := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		f[name] = b
	}
	app, err := Inspect(f, "")
	if err != nil {
		t.Fatalf("Inspect(fixture) = %v", err)
	}
	if app.Entrypoint != "app.js" || app.Module != "commonjs" {
		t.Errorf("entrypoint, module = %q, %q; want app.js, commonjs", app.Entrypoint, app.Module)
	}
	if got, want := app.DevDependencies, map[string]string{"@eslint/js": "10.0.1", "eslint": "10.15.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("DevDependencies = %v, want %v", got, want)
	}
}

func TestInspect(t *testing.T) {
	for _, tc := range []struct {
		name, pkg, lock, entry string
		extra                  string
		want                   string // entrypoint, or error substring when wantErr
		wantErr                bool
	}{
		{name: "main", pkg: `{"main":"server.js","dependencies":{"ms":"2.1.3"},"devDependencies":{"eslint":"10.15.0"}}`, lock: lockOK, want: "server.js"},
		{name: "start script", pkg: `{"scripts":{"start":"node ./src/index.mjs"},"dependencies":{"ms":"2.1.3"},"devDependencies":{"eslint":"10.15.0"}}`, lock: lockOK, want: "src/index.mjs"},
		{name: "override", pkg: `{"main":"a.js","dependencies":{"ms":"2.1.3"},"devDependencies":{"eslint":"10.15.0"}}`, lock: lockOK, entry: "b.js", want: "b.js"},
		{name: "no entrypoint", pkg: `{"scripts":{"start":"nodemon x.js"},"dependencies":{"ms":"2.1.3"},"devDependencies":{"eslint":"10.15.0"}}`, lock: lockOK, want: "--entrypoint", wantErr: true},
		{name: "escaping entrypoint", pkg: `{"main":"../x.js","dependencies":{"ms":"2.1.3"},"devDependencies":{"eslint":"10.15.0"}}`, lock: lockOK, want: "inside the app directory", wantErr: true},
		{name: "invalid json", pkg: `{"main":`, lock: lockOK, want: "package.json is not valid JSON", wantErr: true},
		{name: "no lockfile", pkg: `{"main":"a.js"}`, want: "package-lock.json not found", wantErr: true},
		{name: "lock missing dep", pkg: `{"main":"a.js","dependencies":{"ms":"2.1.3","left-pad":"1.3.0"},"devDependencies":{"eslint":"10.15.0"}}`, lock: lockOK, want: "dependencies.left-pad (1.3.0) is missing from the lockfile", wantErr: true},
		{name: "lock range differs", pkg: `{"main":"a.js","dependencies":{"ms":"^2.0.0"},"devDependencies":{"eslint":"10.15.0"}}`, lock: lockOK, want: `dependencies.ms is "^2.0.0" in package.json but "2.1.3" in the lockfile`, wantErr: true},
		{name: "lock extra dep", pkg: `{"main":"a.js","dependencies":{"ms":"2.1.3"}}`, lock: lockOK, want: "devDependencies.eslint is in the lockfile but not in package.json", wantErr: true},
		{name: "old lockfile", pkg: `{"main":"a.js"}`, lock: `{"lockfileVersion":1}`, want: "lockfileVersion 1", wantErr: true},
		{name: "two lockfiles", pkg: `{"main":"a.js"}`, lock: lockOK, extra: "yarn.lock", want: "several lockfiles (package-lock.json, yarn.lock)", wantErr: true},
		{name: "pnpm field", pkg: `{"main":"a.js","packageManager":"pnpm@9.0.0"}`, lock: lockOK, want: `packageManager is "pnpm@9.0.0" but the lockfile is package-lock.json`, wantErr: true},
		{name: "bun", pkg: `{"main":"a.js"}`, lock: lockOK, extra: "bun.lockb", want: "bun is not supported", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := files(tc.pkg, tc.lock)
			if tc.extra != "" {
				f[tc.extra] = []byte("x")
			}
			app, err := Inspect(f, tc.entry)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Inspect() error = %v, want it to contain %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Inspect() = %v", err)
			}
			if app.Entrypoint != tc.want {
				t.Errorf("Entrypoint = %q, want %q", app.Entrypoint, tc.want)
			}
		})
	}
}

func TestMissingPackageJSON(t *testing.T) {
	_, err := Inspect(Files{}, "")
	if err == nil || !strings.Contains(err.Error(), "package.json not found") {
		t.Fatalf("Inspect(empty) = %v, want package.json not found", err)
	}
}

func TestESM(t *testing.T) {
	app, err := Inspect(files(`{"type":"module","main":"a.mjs","dependencies":{"ms":"2.1.3"},"devDependencies":{"eslint":"10.15.0"}}`, lockOK), "")
	if err != nil {
		t.Fatal(err)
	}
	if app.Module != "module" {
		t.Errorf("Module = %q, want module", app.Module)
	}
}

func TestCheckEngines(t *testing.T) {
	for _, tc := range []struct {
		rng, node string
		ok        bool
	}{
		{"", "v24.21.0", true},
		{">=20", "v24.21.0", true},
		{"^20 || ^22", "v24.21.0", false},
		{"24.x", "24.21.0", true},
		{">=26", "v24.21.0", false},
	} {
		err := (&App{EnginesNode: tc.rng}).CheckEngines(tc.node)
		if (err == nil) != tc.ok {
			t.Errorf("CheckEngines(%q, %q) = %v, want ok=%v", tc.rng, tc.node, err, tc.ok)
		}
	}
}
