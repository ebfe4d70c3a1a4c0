package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"dagger/immutable/nodeapp"
)

func TestRuntimeEnv(t *testing.T) {
	env, err := runtimeEnv([]string{"LOG_LEVEL=debug", "NODE_ENV=staging", "EMPTY=", "URL=http://x/?a=b"})
	if err != nil {
		t.Fatal(err)
	}
	if got := env.Map(); !reflect.DeepEqual(got, map[string]string{"LOG_LEVEL": "debug", "NODE_ENV": "staging", "EMPTY": "", "URL": "http://x/?a=b"}) {
		t.Errorf("runtimeEnv = %v", got)
	}
	for in, want := range map[string]string{
		"PORT=8080":     "use --port",
		"APP_VERSION=1": "the build sets APP_VERSION itself",
		"1X=a":          "want KEY=VALUE",
		"A-B=1":         "want KEY=VALUE",
		"NOVALUE":       "want KEY=VALUE",
	} {
		if _, err := runtimeEnv([]string{in}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("runtimeEnv(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}

func TestWritableDirs(t *testing.T) {
	got, err := writableDirs([]string{"/var/lib/app", "data", "/app/data/", "/app/cache"})
	if want := []string{"/app/cache", "/app/data", "/var/lib/app"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("writableDirs = %q, %v; want %q", got, err, want)
	}
	for in, want := range map[string]string{
		"/":                   "must stay read-only",
		"/app":                "must stay read-only",
		".":                   "must stay read-only",
		"node_modules":        "node_modules must stay read-only",
		"/app/node_modules/x": "node_modules must stay read-only",
		"../etc":              "no ..",
		"":                    "give a directory",
	} {
		if _, err := writableDirs([]string{in}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("writableDirs(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}

func TestAppLabels(t *testing.T) {
	got := appLabels(&nodeapp.App{Name: "esm-service", Description: "A service", License: "Apache-2.0"})
	want := map[string]string{LabelTitle: "esm-service", LabelDescription: "A service", LabelLicenses: "Apache-2.0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("appLabels = %v, want %v", got, want)
	}
	// Missing values are removed from the image, not inherited from the base.
	if got := appLabels(&nodeapp.App{}); got[LabelTitle] != "" || len(got) != 3 {
		t.Errorf("appLabels(empty) = %v, want three empty values", got)
	}
}
