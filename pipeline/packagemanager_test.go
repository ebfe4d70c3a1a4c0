package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"dagger/immutable/lockfile"
)

// Outputs of real frozen installs after adding "ms" to package.json
// (yarn 1.22.22, yarn 4.18.1, pnpm 10.34.9).
var frozenOutputs = map[string]string{
	"yarn classic": "yarn install v1.22.22\n[1/5] Validating package.json...\n[2/5] Resolving packages...\nerror Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.\ninfo Visit https://yarnpkg.com/en/docs/cli/install for documentation about this command.\n",
	"yarn berry":   "➤ YN0000: ┌ Resolution step\n➤ YN0028: │ +    ms: \"npm:^2.1.3\"\n➤ YN0028: │ The lockfile would have been modified by this install, which is explicitly forbidden.\n➤ YN0000: └ Completed\n➤ YN0000: · Failed with errors in 0s 87ms\n",
	"pnpm":         " ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with \"frozen-lockfile\" because pnpm-lock.yaml is not up to date with <ROOT>/package.json\n\n  Failure reason:\n  specifiers in the lockfile don't match specifiers in package.json:\n* 1 dependencies were added: ms@^2.1.3\n",
}

func TestFrozenRefusal(t *testing.T) {
	for name, out := range frozenOutputs {
		if !frozenRefusal(out) {
			t.Errorf("%s: frozenRefusal() = false for %q", name, out)
		}
	}
	if frozenRefusal("npm error 404 Not Found - GET https://registry.npmjs.org/nope") {
		t.Error("frozenRefusal() = true for a registry error")
	}
	if got := toolLines(frozenOutputs["pnpm"], ""); !strings.Contains(got, "1 dependencies were added: ms@^2.1.3") {
		t.Errorf("toolLines(pnpm) = %q, want the failure reason", got)
	}
	if got := toolLines(frozenOutputs["yarn classic"], ""); strings.Contains(got, "[1/5]") || !strings.Contains(got, "Your lockfile needs to be updated") {
		t.Errorf("toolLines(yarn classic) = %q", got)
	}
}

func TestInstallSpecs(t *testing.T) {
	for _, kind := range []lockfile.Kind{lockfile.NPM, lockfile.YarnClassic, lockfile.YarnBerry, lockfile.PNPM} {
		s, ok := installSpecs[kind]
		if !ok {
			t.Fatalf("no install spec for %s", kind)
		}
		prod, all := strings.Join(s.prod, " "), strings.Join(s.all, " ")
		for _, cmd := range []string{prod, all} {
			if !strings.Contains(cmd, kind.Tool()+" ") {
				t.Errorf("%s: %q does not run %s", kind, cmd, kind.Tool())
			}
			frozen := strings.Contains(cmd, "npm ci") || strings.Contains(cmd, "--frozen-lockfile") || strings.Contains(cmd, "--immutable")
			if !frozen || strings.Contains(" "+cmd, " npm install") {
				t.Errorf("%s: %q is not a frozen install", kind, cmd)
			}
		}
		if kind != lockfile.NPM && s.cache == nil {
			t.Errorf("%s: no cache volume", kind)
		}
	}
	if got, want := scriptArgs(lockfile.PNPM, "test"), []string{"pnpm", "run", "test"}; !reflect.DeepEqual(got, want) {
		t.Errorf("scriptArgs = %v, want %v", got, want)
	}
}
