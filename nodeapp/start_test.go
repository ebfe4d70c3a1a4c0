package nodeapp

import (
	"reflect"
	"testing"
)

func TestStartCommand(t *testing.T) {
	for _, tc := range []struct {
		scripts map[string]string
		want    *StartCommand
	}{
		{map[string]string{"start": "node ./bin/www"}, &StartCommand{Script: "start", File: "./bin/www"}},
		{map[string]string{"start": "nest start", "start:prod": "node dist/main"}, &StartCommand{Script: "start:prod", File: "dist/main"}},
		{map[string]string{"start": "node --enable-source-maps -r dotenv/config dist/server.js --port 8080"},
			&StartCommand{Script: "start", NodeFlags: []string{"--enable-source-maps", "-r", "dotenv/config"}, File: "dist/server.js", Args: []string{"--port", "8080"}}},
		{map[string]string{"start": "node server.js data.json"}, &StartCommand{Script: "start", File: "server.js", Args: []string{"data.json"}}},
		{map[string]string{"start": "NODE_ENV=production node app.js"}, nil},
		{map[string]string{"start": "node app.js && echo done"}, nil},
		{map[string]string{"start": "node -e 'require(1)'"}, nil},
		{map[string]string{"start": "fastify start app.js"}, nil},
		{map[string]string{"start": "node"}, nil},
		{map[string]string{"start": "node -r"}, nil},
	} {
		if got := startCommand(tc.scripts); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("startCommand(%v) = %+v, want %+v", tc.scripts, got, tc.want)
		}
	}
}

// TestStartWinsOverMain: `npm init` writes main index.js while the server
// starts with the start script; the start script says how the app runs.
func TestStartWinsOverMain(t *testing.T) {
	files := Files{
		"package.json":      []byte(`{"name":"a","main":"index.js","scripts":{"start":"node server.js"},"dependencies":{}}`),
		"package-lock.json": []byte(`{"name":"a","lockfileVersion":3,"requires":true,"packages":{"":{"name":"a"}}}`),
	}
	app, err := Inspect(files, "")
	if err != nil {
		t.Fatal(err)
	}
	if app.Entrypoint != "server.js" || app.Start == nil || app.Start.Script != "start" {
		t.Errorf("Entrypoint = %q, Start = %+v; want server.js from the start script", app.Entrypoint, app.Start)
	}
	app, err = Inspect(files, "other.js")
	if err != nil {
		t.Fatal(err)
	}
	if app.Entrypoint != "other.js" || app.Start != nil {
		t.Errorf("--entrypoint other.js: Entrypoint = %q, Start = %+v", app.Entrypoint, app.Start)
	}
}

// TestBinStart: a start script running a production dependency's command
// starts the image with node and that package's bin file; a dev tool's
// command (nest start) or a command no package provides falls back.
func TestBinStart(t *testing.T) {
	lock := []byte(`{"name":"a","lockfileVersion":3,"packages":{
		"":{"name":"a","dependencies":{"fastify-cli":"^7.4.1"}},
		"node_modules/fastify-cli":{"version":"7.4.1","bin":{"fastify":"cli.js"}},
		"node_modules/@nestjs/cli":{"version":"11.0.0","dev":true,"bin":{"nest":"bin/nest.js"}},
		"node_modules/x/node_modules/nested":{"version":"1.0.0","bin":{"nested":"n.js"}}}}`)
	for _, tc := range []struct {
		script string
		want   *StartCommand
	}{
		{"fastify start -l info app.js", &StartCommand{Script: "start", File: "node_modules/fastify-cli/cli.js", Args: []string{"start", "-l", "info", "app.js"}}},
		{"nest start", nil},
		{"nested", nil},
		{"unknown-tool app.js", nil},
		{"fastify start && echo", nil},
		{"NODE_ENV=production fastify start", nil},
	} {
		if got := binStartCommand(tc.script, lock); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("binStartCommand(%q) = %+v, want %+v", tc.script, got, tc.want)
		}
	}
	files := Files{
		"package.json":      []byte(`{"name":"a","main":"app.js","scripts":{"start":"fastify start -l info app.js"},"dependencies":{"fastify-cli":"^7.4.1"}}`),
		"package-lock.json": lock,
	}
	app, err := Inspect(files, "")
	if err != nil {
		t.Fatal(err)
	}
	if app.Entrypoint != "node_modules/fastify-cli/cli.js" || app.Start == nil || len(app.Start.Args) != 4 {
		t.Errorf("fastify-cli app: entrypoint %q, start %+v; want fastify-cli's cli.js with the script's arguments", app.Entrypoint, app.Start)
	}
}

// TestStartBin: in a yarn or pnpm project, a start script that runs a
// command by name is left for the build to resolve (StartBin), without
// "main" too; npm projects resolve it from package-lock.json instead.
func TestStartBin(t *testing.T) {
	for _, fx := range []string{"pnpm", "yarn-classic"} {
		f := fixtureFiles(t, fx, func(f Files) {
			replace(t, "package.json", `"start": "node server.js"`, `"start": "next start -p 3000"`)(f)
			replace(t, "package.json", `"main": "server.js"`, `"description": "no main"`)(f)
		})
		app, err := Inspect(f, "")
		if err != nil {
			t.Fatalf("%s: %v", fx, err)
		}
		want := &BinStart{Name: "next", Args: []string{"start", "-p", "3000"}}
		if !reflect.DeepEqual(app.StartBin, want) || app.Entrypoint != "" {
			t.Errorf("%s: StartBin %+v, entrypoint %q; want %+v and none yet", fx, app.StartBin, app.Entrypoint, want)
		}
	}
	f := fixtureFiles(t, "app", func(f Files) { replace(t, "package.json", `"start": "node app.js"`, `"start": "next start"`)(f) })
	app, err := Inspect(f, "")
	if err != nil || app.StartBin != nil || app.Entrypoint != "app.js" {
		t.Errorf("npm: StartBin %+v, entrypoint %q, %v; want none, main's app.js", app.StartBin, app.Entrypoint, err)
	}
}
