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
