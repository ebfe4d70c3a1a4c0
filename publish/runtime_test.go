package publish

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestRecordKeepsSkippedAndRuntime: a skipped gate and the runtime
// configuration survive the record's JSON round trip.
func TestRecordKeepsSkippedAndRuntime(t *testing.T) {
	rec := Record{
		Kind: KindRelease, Version: "1.0.0",
		Gates: []Gate{{Name: "smoke", Passed: true, Skipped: true, Detail: "skipped: --skip-smoke given"}},
		Runtime: &Runtime{
			Entrypoint: []string{"node", "server.js"}, Cmd: []string{"data.json"},
			Env: []string{"NODE_ENV=production"}, User: "1000:1000", WorkingDir: "/app",
			ExposedPorts: []string{"8080/tcp"}, WritableDirs: []string{"/app/data"},
		},
	}
	b := rec.JSON()
	if !strings.Contains(string(b), `"skipped": true`) {
		t.Errorf("record JSON has no \"skipped\": true:\n%s", b)
	}
	var got Record
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Gates, rec.Gates) || !reflect.DeepEqual(got.Runtime, rec.Runtime) {
		t.Errorf("round trip = %+v %+v, want %+v %+v", got.Gates, got.Runtime, rec.Gates, rec.Runtime)
	}
}
