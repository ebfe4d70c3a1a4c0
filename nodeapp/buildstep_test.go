package nodeapp

import (
	"os"
	"path/filepath"
	"testing"
)

// TestInspectBuildStepFixtures: an entry point the build script creates
// (dist/index.js, absent from the source) is accepted, from main or from a
// start script.
func TestInspectBuildStepFixtures(t *testing.T) {
	for _, tc := range []struct{ fixture, entry string }{
		{"typescript", "dist/index.js"},
		{"native-addon", "index.js"},
	} {
		dir := filepath.Join("..", "fixtures", tc.fixture)
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
			t.Fatalf("Inspect(%s) = %v", tc.fixture, err)
		}
		if app.Entrypoint != tc.entry || app.Scripts["build"] == "" {
			t.Errorf("%s: entrypoint %q, build script %q; want %s and a build script", tc.fixture, app.Entrypoint, app.Scripts["build"], tc.entry)
		}
	}
	start := `{"scripts":{"build":"tsc","start":"node dist/server.js"},"dependencies":{"ms":"2.1.3"},"devDependencies":{"eslint":"10.15.0"}}`
	app, err := Inspect(files(start, lockOK), "")
	if err != nil || app.Entrypoint != "dist/server.js" {
		t.Errorf("Inspect(start node dist/server.js) = %v, %v; want dist/server.js", app, err)
	}
}
