package pipeline

import (
	"errors"
	"strings"
	"testing"

	"dagger.io/dagger"
)

func TestHeadline(t *testing.T) {
	for _, tc := range []struct{ name, out, want string }{
		{"node --test", "> app@1.0.0 test\n> node --test\n\n✔ healthz (3ms)\n✖ version (2ms)\n  AssertionError [ERR_ASSERTION]: Expected values\n    at TestContext.<anonymous> (/src/test/app.test.js:9:10)\nℹ tests 2", "✖ version (2ms)"},
		{"stack before npm's lines", "node:internal/modules/cjs/loader:1568\n  throw err;\nError: Cannot find module '/src/dist/server.js'\n    at Module._load (node:internal/modules/cjs/loader:1341:5)\nnpm error code 1", "Error: Cannot find module '/src/dist/server.js'"},
		{"eslint", "/src/app.js\n  3:7  error  'x' is assigned a value but never used  no-unused-vars\n\n✖ 1 problem (1 error, 0 warnings)", "✖ 1 problem (1 error, 0 warnings)"},
		{"npm only", "> app@1.0.0 test\n> exit 3\nnpm error Lifecycle script `test` failed with error:\nnpm error code 3", "npm error Lifecycle script `test` failed with error:"},
		{"nothing known", "first\nlast words", "last words"},
	} {
		if got := headline(tc.out); got != tc.want {
			t.Errorf("%s: headline = %q, want %q", tc.name, got, tc.want)
		}
	}
	err := &dagger.ExecError{ExitCode: 1, Stdout: "ok 1\nnot ok 2 - adds\n    at x.js:1", Stderr: baseNoise + "\n"}
	d := failureDetail(err)
	if first, _, _ := strings.Cut(d, "\n"); first != "exit code 1: not ok 2 - adds" || !strings.Contains(d, "at x.js:1") {
		t.Errorf("failureDetail = %q; want the headline first, then the output", d)
	}
	if strings.Contains(d, "nodedir") {
		t.Errorf("failureDetail kept the builder base's npm warning: %q", d)
	}
	if d := failureDetail(errors.New("plain")); d != "plain" {
		t.Errorf("failureDetail(plain) = %q", d)
	}
}
