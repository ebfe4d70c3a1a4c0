package nodeapp

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dagger/immutable/lockfile"
)

// fixtureFiles reads the manifests of fixtures/<name>, with edit applied.
func fixtureFiles(t *testing.T, name string, edit func(Files)) Files {
	t.Helper()
	f := Files{}
	for _, file := range []string{"package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", ".yarnrc.yml"} {
		b, err := os.ReadFile(filepath.Join("..", "fixtures", name, file))
		if err == nil {
			f[file] = b
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(f)
	}
	return f
}

// replace returns an edit replacing old by new in file, which must contain it.
func replace(t *testing.T, file, old, new string) func(Files) {
	return func(f Files) {
		if !strings.Contains(string(f[file]), old) {
			t.Fatalf("%s has no %q", file, old)
		}
		f[file] = []byte(strings.Replace(string(f[file]), old, new, 1))
	}
}

func TestPackageManagerFixtures(t *testing.T) {
	for _, tc := range []struct {
		fixture  string
		kind     lockfile.Kind
		pkg, ver string
		fromJSON bool
	}{
		{"yarn-classic", lockfile.YarnClassic, "yarn", "1.22.22", false},
		{"yarn-berry", lockfile.YarnBerry, "@yarnpkg/cli-dist", "4.18.1", true},
		{"pnpm", lockfile.PNPM, "pnpm", "10.34.9", true},
		{"app", lockfile.NPM, "", "", false},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			app, err := Inspect(fixtureFiles(t, tc.fixture, nil), "")
			if err != nil {
				t.Fatalf("Inspect() = %v", err)
			}
			pm := app.PackageManager
			if pm.Kind != tc.kind || pm.Package != tc.pkg || pm.Version != tc.ver || pm.FromPackageJSON != tc.fromJSON {
				t.Errorf("PackageManager = %+v, want %s %s@%s fromPackageJSON=%v", pm, tc.kind, tc.pkg, tc.ver, tc.fromJSON)
			}
			if tc.kind != lockfile.NPM && !strings.HasPrefix(pm.Digest, "sha512:") {
				t.Errorf("Digest = %q, want the pinned sha512", pm.Digest)
			}
		})
	}
}

func TestPackageManagerField(t *testing.T) {
	hash := strings.Repeat("ab", 64)
	pnpmField := func(v string) func(Files) {
		return replace(t, "package.json", `"packageManager": "pnpm@10.34.9"`, `"packageManager": "`+v+`"`)
	}
	for _, tc := range []struct {
		name, fixture string
		edit          func(Files)
		class         error
		want          string // error substring, or the Digest when class is nil
	}{
		{"hash honoured", "pnpm", pnpmField("pnpm@10.34.9+sha512." + hash), nil, "sha512:" + hash},
		{"sha224 hash", "pnpm", pnpmField("pnpm@10.34.9+sha224." + strings.Repeat("0", 56)), nil, "sha224:" + strings.Repeat("0", 56)},
		{"other version, no hash", "pnpm", pnpmField("pnpm@10.0.0"), nil, ""},
		{"short hash", "pnpm", pnpmField("pnpm@10.34.9+sha512.abcd"), ErrPackageManager, "a sha512 hash has 128 hex digits"},
		{"range", "pnpm", pnpmField("pnpm@^10"), ErrPackageManager, "want <name>@<exact version>"},
		{"pnpm 8", "pnpm", pnpmField("pnpm@8.15.0"), ErrPackageManager, "pnpm 9 or later"},
		{"tool differs", "pnpm", pnpmField("yarn@4.18.1"), ErrPackageManager, "but the lockfile is pnpm-lock.yaml (pnpm)"},
		{"yarn 3", "yarn-berry", replace(t, "package.json", "yarn@4.18.1", "yarn@3.8.7"), ErrPackageManager, "supported from yarn 4"},
		{"berry tool on classic lockfile", "yarn-classic", replace(t, "package.json", `"private": true,`, `"private": true, "packageManager": "yarn@4.18.1",`), ErrPackageManager, "yarn 1 (classic) lockfile"},
		{"classic pinned by field", "yarn-classic", replace(t, "package.json", `"private": true,`, `"private": true, "packageManager": "yarn@1.22.22+sha512.`+hash+`",`), nil, "sha512:" + hash},
		{"PnP by default", "yarn-berry", func(f Files) { delete(f, ".yarnrc.yml") }, ErrPackageManager, "add `nodeLinker: node-modules` to .yarnrc.yml"},
		{"PnP explicit", "yarn-berry", replace(t, ".yarnrc.yml", "node-modules", "pnp"), ErrPackageManager, "nodeLinker pnp is not supported"},
		{"berry lockfile of another yarn", "yarn-berry", func(f Files) {
			replace(t, "package.json", `,
  "packageManager": "yarn@4.18.1"`, "")(f)
			replace(t, "yarn.lock", "version: 10", "version: 8")(f)
		}, ErrPackageManager, "set packageManager to the yarn that wrote it"},
		{"old pnpm lockfile", "pnpm", replace(t, "pnpm-lock.yaml", "lockfileVersion: '9.0'", "lockfileVersion: '6.0'"), ErrLockfile, "lockfileVersion \"6.0\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, err := Inspect(fixtureFiles(t, tc.fixture, tc.edit), "")
			if tc.class == nil {
				if err != nil {
					t.Fatalf("Inspect() = %v", err)
				}
				if app.PackageManager.Digest != tc.want {
					t.Errorf("Digest = %q, want %q", app.PackageManager.Digest, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.class) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Inspect() error = %v, want %v containing %q", err, tc.class, tc.want)
			}
		})
	}
}

func TestLockfileOutOfSync(t *testing.T) {
	addMS := func(f Files) {
		replace(t, "package.json", `"dependencies": {`, `"dependencies": {
    "ms": "^2.1.3",`)(f)
	}
	for _, tc := range []struct {
		fixture string
		edit    func(Files)
		want    []string
	}{
		{"yarn-classic", addMS, []string{"yarn.lock is out of sync", "dependencies.ms (^2.1.3) is missing from the lockfile", "run `yarn install` and commit the updated yarn.lock"}},
		{"yarn-berry", addMS, []string{"yarn.lock is out of sync", "dependencies.ms (npm:^2.1.3) is missing", "run `yarn install`"}},
		{"pnpm", addMS, []string{"pnpm-lock.yaml is out of sync", "dependencies.ms (^2.1.3) is missing", "run `pnpm install` and commit the updated pnpm-lock.yaml"}},
		{"pnpm", replace(t, "package.json", `"fastify": "^5.2.0"`, `"fastify": "^5.3.0"`), []string{`dependencies.fastify is "^5.3.0" in package.json but "^5.2.0" in the lockfile`}},
		{"yarn-berry", replace(t, "package.json", `"@types/node": "^22.10.0"`, `"@types/node": "^24.0.0"`), []string{`dependencies.@types/node is "npm:^24.0.0" in package.json but "npm:^22.10.0" in the lockfile`}},
		{"yarn-classic", func(f Files) { f["yarn.lock"] = []byte("# yarn lockfile v1\nbroken\n") }, []string{"yarn.lock: line 2"}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			_, err := Inspect(fixtureFiles(t, tc.fixture, tc.edit), "")
			if !errors.Is(err, ErrLockfile) {
				t.Fatalf("Inspect() error = %v, want ErrLockfile", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
