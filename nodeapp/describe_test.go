package nodeapp

import (
	"os"
	"path/filepath"
	"testing"
)

// TestInspectFieldFixtures: what is inferred from the field-shaped
// fixtures' package.json (entrypoint from main or start, module type,
// description and license for the image labels).
func TestInspectFieldFixtures(t *testing.T) {
	for _, tc := range []struct {
		dir, entry, module, license string
	}{
		{"esm-service", "index.js", "module", "Apache-2.0"},
		{"cjs-start", "server.js", "commonjs", "MIT"},
		{"worker", "worker.js", "commonjs", "BSD-3-Clause"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			f := Files{}
			for _, name := range []string{"package.json", "package-lock.json"} {
				b, err := os.ReadFile(filepath.Join("..", "fixtures", tc.dir, name))
				if err != nil {
					t.Fatal(err)
				}
				f[name] = b
			}
			app, err := Inspect(f, "")
			if err != nil {
				t.Fatalf("Inspect(%s) = %v", tc.dir, err)
			}
			if app.Entrypoint != tc.entry || app.Module != tc.module || app.License != tc.license || app.Description == "" {
				t.Errorf("Inspect(%s) = entry %q, module %q, license %q, description %q; want %q, %q, %q and a description",
					tc.dir, app.Entrypoint, app.Module, app.License, app.Description, tc.entry, tc.module, tc.license)
			}
		})
	}
}

func TestLicenseForms(t *testing.T) {
	for pkg, want := range map[string]string{
		`{"license": "MIT"}`:                                   "MIT",
		`{"license": "(MIT OR Apache-2.0)"}`:                   "(MIT OR Apache-2.0)",
		`{"license": {"type": "ISC", "url": "x"}}`:             "ISC",
		`{"licenses": [{"type": "MIT"}, {"type": "GPL-2.0"}]}`: "MIT OR GPL-2.0",
		`{"license": null}`:                                    "",
		`{"license": ""}`:                                      "",
	} {
		app, err := Inspect(files(`{"name":"x","main":"a.js",`+pkg[1:], `{"lockfileVersion":3,"packages":{"":{}}}`), "")
		if err != nil {
			t.Fatalf("Inspect(%s) = %v", pkg, err)
		}
		if app.License != want {
			t.Errorf("License of %s = %q, want %q", pkg, app.License, want)
		}
	}
}
