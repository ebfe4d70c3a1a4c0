package nodeapp

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"dagger/immutable/lockfile"
)

type lockJSON struct {
	LockfileVersion int `json:"lockfileVersion"`
	Packages        map[string]struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
		Version         string            `json:"version"`
	} `json:"packages"`
}

// CheckLockfile reports whether the project's lockfile exists and records
// the dependencies of package.json, naming each mismatch. The frozen
// install (`npm ci`, `yarn install --frozen-lockfile` / `--immutable`,
// `pnpm install --frozen-lockfile`) refuses such a lockfile too; this says
// why before a build starts.
func CheckLockfile(files Files) error {
	var pkg packageJSON
	if err := json.Unmarshal(files["package.json"], &pkg); err != nil {
		return fmt.Errorf("%w is not valid JSON: %w", ErrPackageJSON, err)
	}
	kind, err := lockfile.Detect(files)
	if err != nil {
		if _, ok := files["package-lock.json"]; !ok && !strings.Contains(err.Error(), "several") {
			return fmt.Errorf("%w: package-lock.json not found: dependencies are installed only from a lockfile (`npm ci`); create it with `npm install --package-lock-only` and commit it (yarn and pnpm projects commit yarn.lock / pnpm-lock.yaml)", ErrLockfile)
		}
		return fmt.Errorf("%w: %w", ErrLockfile, err)
	}
	var problems []string
	switch kind {
	case lockfile.NPM:
		problems, err = npmProblems(files["package-lock.json"], pkg)
	case lockfile.PNPM:
		problems, err = pnpmProblems(files["pnpm-lock.yaml"], pkg)
	case lockfile.YarnBerry:
		problems, err = berryProblems(files["yarn.lock"], pkg)
	case lockfile.YarnClassic:
		problems, err = classicProblems(files["yarn.lock"], pkg)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLockfile, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s is out of sync with package.json: %s; run `%s install` and commit the updated %s", ErrLockfile, kind.File(), strings.Join(problems, "; "), kind.Tool(), kind.File())
	}
	if _, err := lockfile.ParseKind(kind, files); err != nil {
		return fmt.Errorf("%w: %w", ErrLockfile, err)
	}
	return nil
}

func npmProblems(rawLock []byte, pkg packageJSON) ([]string, error) {
	var lock lockJSON
	if err := json.Unmarshal(rawLock, &lock); err != nil {
		return nil, fmt.Errorf("package-lock.json is not valid JSON: %w", err)
	}
	if lock.LockfileVersion < 2 {
		return nil, fmt.Errorf("package-lock.json has lockfileVersion %d: regenerate it with npm 7 or later (`npm install --package-lock-only`)", lock.LockfileVersion)
	}
	root := lock.Packages[""]
	var problems []string
	problems = append(problems, compareDeps("dependencies", pkg.Dependencies, root.Dependencies)...)
	problems = append(problems, compareDeps("devDependencies", pkg.DevDependencies, root.DevDependencies)...)
	return problems, nil
}

func pnpmProblems(rawLock []byte, pkg packageJSON) ([]string, error) {
	root, err := lockfile.PNPMRootSpecifiers(rawLock)
	if err != nil {
		return nil, err
	}
	var problems []string
	problems = append(problems, compareDeps("dependencies", pkg.Dependencies, root["dependencies"])...)
	problems = append(problems, compareDeps("devDependencies", pkg.DevDependencies, root["devDependencies"])...)
	problems = append(problems, compareDeps("optionalDependencies", pkg.OptionalDependencies, root["optionalDependencies"])...)
	return problems, nil
}

// berryProblems compares package.json with the project's own entry in a
// yarn berry lockfile, which records every dependency (dev included) as a
// descriptor: "^1.0.0" in package.json is "npm:^1.0.0" there.
func berryProblems(rawLock []byte, pkg packageJSON) ([]string, error) {
	root, ok, err := lockfile.BerryRootDescriptors(rawLock)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []string{"it has no entry for the project itself (\"<name>@workspace:.\")"}, nil
	}
	want := map[string]string{}
	for _, deps := range []map[string]string{pkg.Dependencies, pkg.DevDependencies, pkg.OptionalDependencies} {
		for name, rng := range deps {
			if !strings.Contains(rng, ":") {
				rng = "npm:" + rng
			}
			want[name] = rng
		}
	}
	return compareDeps("dependencies", want, root), nil
}

// classicProblems checks that yarn.lock v1 resolves every "name@range" of
// package.json (it keeps no record of the project's own dependencies, so
// extra entries cannot be told apart).
func classicProblems(rawLock []byte, pkg packageJSON) ([]string, error) {
	patterns, err := lockfile.YarnClassicPatterns(rawLock)
	if err != nil {
		return nil, err
	}
	var problems []string
	for field, deps := range map[string]map[string]string{"dependencies": pkg.Dependencies, "devDependencies": pkg.DevDependencies, "optionalDependencies": pkg.OptionalDependencies} {
		for name, rng := range deps {
			if !patterns[name+"@"+rng] {
				problems = append(problems, fmt.Sprintf("%s.%s (%s) is missing from the lockfile", field, name, rng))
			}
		}
	}
	sort.Strings(problems)
	return problems, nil
}

func compareDeps(field string, want, got map[string]string) []string {
	var problems []string
	for name, rng := range want {
		locked, ok := got[name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s.%s (%s) is missing from the lockfile", field, name, rng))
		case locked != rng:
			problems = append(problems, fmt.Sprintf("%s.%s is %q in package.json but %q in the lockfile", field, name, rng, locked))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			problems = append(problems, fmt.Sprintf("%s.%s is in the lockfile but not in package.json", field, name))
		}
	}
	sort.Strings(problems)
	return problems
}
