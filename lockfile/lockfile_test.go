package lockfile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readDir reads the manifest files of a project directory.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, name := range []string{"package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			files[name] = b
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return files
}

// summary is "name@version" of the production and of the dev-only packages.
func summary(g *Graph) (prod, dev []string) {
	for _, p := range g.Packages {
		if p.Dev {
			dev = append(dev, p.Name+"@"+p.Version)
		} else {
			prod = append(prod, p.Name+"@"+p.Version)
		}
	}
	return prod, dev
}

// TestMixedAllFormats reads one package.json locked by npm 11, yarn 1.22.22,
// yarn 4.18.1 and pnpm 10.34.9 (testdata/mixed): an npm: alias, a scoped
// package, an optional dependency and a package (ms) that is both a
// production dependency and a dependency of the dev-only debug. Every
// format must give the same graph.
func TestMixedAllFormats(t *testing.T) {
	wantProd := []string{"@sindresorhus/is@4.6.0", "is-number@7.0.0", "lodash.get@4.4.2", "ms@2.1.3"}
	wantDev := []string{"debug@4.4.3"}
	for _, tc := range []struct {
		dir       string
		kind      Kind
		integrity bool
	}{
		{"npm", NPM, true},
		{"yarn-classic", YarnClassic, true},
		{"yarn-berry", YarnBerry, false},
		{"pnpm", PNPM, true},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			g, err := Parse(readDir(t, filepath.Join("testdata", "mixed", tc.dir)))
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			if g.Kind != tc.kind {
				t.Errorf("Kind = %s, want %s", g.Kind, tc.kind)
			}
			prod, dev := summary(g)
			if !reflect.DeepEqual(prod, wantProd) || !reflect.DeepEqual(dev, wantDev) {
				t.Errorf("prod, dev = %v, %v\nwant %v, %v", prod, dev, wantProd, wantDev)
			}
			for _, p := range g.Packages {
				if got := strings.HasPrefix(p.Integrity, "sha512-"); got != tc.integrity {
					t.Errorf("%s integrity = %q, want sha512: %v", p.Name, p.Integrity, tc.integrity)
				}
			}
			devPaths := g.DevOnlyPaths()
			if len(devPaths) == 0 {
				t.Fatal("DevOnlyPaths() is empty")
			}
			for _, p := range devPaths {
				if !strings.Contains(p, "debug") {
					t.Errorf("DevOnlyPaths() has %q, which is not debug's", p)
				}
			}
		})
	}
}

func TestDevOnlyPaths(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{"npm", []string{"node_modules/debug"}},
		{"yarn-classic", []string{"node_modules/debug"}},
		{"yarn-berry", []string{"node_modules/debug"}},
		{"pnpm", []string{"node_modules/.pnpm/debug@4.4.3", "node_modules/.pnpm/node_modules/debug", "node_modules/debug"}},
	} {
		g, err := Parse(readDir(t, filepath.Join("testdata", "mixed", tc.dir)))
		if err != nil {
			t.Fatal(err)
		}
		if got := g.DevOnlyPaths(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: DevOnlyPaths() = %v, want %v", tc.dir, got, tc.want)
		}
	}
}

// TestFixtures reads the fixtures' real lockfiles: the web framework is a
// production package, @types/node and undici-types are dev-only.
func TestFixtures(t *testing.T) {
	for _, tc := range []struct {
		dir, prod string
		kind      Kind
	}{
		{"yarn-classic", "express", YarnClassic},
		{"yarn-berry", "koa", YarnBerry},
		{"pnpm", "fastify", PNPM},
		{"app", "ms", NPM},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			g, err := Parse(readDir(t, filepath.Join("..", "fixtures", tc.dir)))
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			if g.Kind != tc.kind {
				t.Errorf("Kind = %s, want %s", g.Kind, tc.kind)
			}
			found := false
			for _, p := range g.Packages {
				if p.Name == tc.prod {
					found = !p.Dev
				}
				if (p.Name == "@types/node" || p.Name == "undici-types" || p.Name == "eslint") && !p.Dev {
					t.Errorf("%s@%s is not marked dev", p.Name, p.Version)
				}
			}
			if !found {
				t.Errorf("%s is not a production package", tc.prod)
			}
			if len(g.Production()) == 0 {
				t.Error("Production() is empty")
			}
		})
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  Kind
		err   string
	}{
		{"npm", map[string][]byte{"package-lock.json": nil}, NPM, ""},
		{"classic", map[string][]byte{"yarn.lock": []byte("# yarn lockfile v1\n")}, YarnClassic, ""},
		{"berry", map[string][]byte{"yarn.lock": []byte("# comment\n\n__metadata:\n  version: 8\n")}, YarnBerry, ""},
		{"pnpm", map[string][]byte{"pnpm-lock.yaml": nil}, PNPM, ""},
		{"none", map[string][]byte{"package.json": nil}, "", "no lockfile"},
		{"two", map[string][]byte{"package-lock.json": nil, "pnpm-lock.yaml": nil}, "", "several lockfiles (package-lock.json, pnpm-lock.yaml)"},
	} {
		got, err := Detect(tc.files)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: Detect() error = %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: Detect() = %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	pkg := []byte(`{"name":"x","dependencies":{"ms":"^2.1.3"}}`)
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		err   string
	}{
		{"old pnpm", map[string][]byte{"pnpm-lock.yaml": []byte("lockfileVersion: '6.0'\n")}, "only lockfileVersion 9"},
		{"bad classic line", map[string][]byte{"package.json": pkg, "yarn.lock": []byte("# yarn lockfile v1\nms@^2.1.3\n")}, "line 2"},
		{"berry without the project", map[string][]byte{"package.json": pkg, "yarn.lock": []byte("__metadata:\n  version: 8\n")}, "run `yarn install`"},
		{"berry missing dependency", map[string][]byte{"package.json": pkg, "yarn.lock": []byte("__metadata:\n  version: 8\n\"x@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"x@workspace:.\"\n")}, "dependencies ms are not in yarn.lock"},
		{"npm v1", map[string][]byte{"package-lock.json": []byte(`{"lockfileVersion":1}`)}, "npm 7 or later"},
	} {
		_, err := Parse(tc.files)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: Parse() error = %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestPNPMDirName(t *testing.T) {
	for key, want := range map[string]string{
		"fastify@5.12.8":                "fastify@5.12.8",
		"@fastify/error@4.3.0":          "@fastify+error@4.3.0",
		"ajv-formats@3.0.1(ajv@8.20.0)": "ajv-formats@3.0.1_ajv@8.20.0",
		"a@1.0.0(b@2.0.0)(@c/d@3.0.0)":  "a@1.0.0_b@2.0.0_@c+d@3.0.0",
		"UpperCase@1.0.0":               "",
		strings.Repeat("x", 130) + "@1": "",
	} {
		if got := pnpmDirName(key); got != want {
			t.Errorf("pnpmDirName(%q) = %q, want %q", key, got, want)
		}
	}
}
