package nodeapp

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

type lockJSON struct {
	LockfileVersion int `json:"lockfileVersion"`
	Packages        map[string]struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
		Version         string            `json:"version"`
	} `json:"packages"`
}

// CheckLockfile reports whether package-lock.json exists and records the same
// dependencies, with the same ranges, as package.json, naming each mismatch.
// `npm ci` refuses such a lockfile too; this says why before a build starts.
func CheckLockfile(files Files) error {
	rawLock, ok := files["package-lock.json"]
	if !ok {
		return fmt.Errorf("%w not found: dependencies are installed only from a lockfile (`npm ci`); create it with `npm install --package-lock-only` and commit it", ErrLockfile)
	}
	var pkg packageJSON
	if err := json.Unmarshal(files["package.json"], &pkg); err != nil {
		return fmt.Errorf("%w is not valid JSON: %w", ErrPackageJSON, err)
	}
	var lock lockJSON
	if err := json.Unmarshal(rawLock, &lock); err != nil {
		return fmt.Errorf("%w is not valid JSON: %w", ErrLockfile, err)
	}
	if lock.LockfileVersion < 2 {
		return fmt.Errorf("%w has lockfileVersion %d: regenerate it with npm 7 or later (`npm install --package-lock-only`)", ErrLockfile, lock.LockfileVersion)
	}
	root := lock.Packages[""]
	var problems []string
	problems = append(problems, compareDeps("dependencies", pkg.Dependencies, root.Dependencies)...)
	problems = append(problems, compareDeps("devDependencies", pkg.DevDependencies, root.DevDependencies)...)
	if len(problems) > 0 {
		return fmt.Errorf("%w is out of sync with package.json: %s; run `npm install` and commit the updated lockfile", ErrLockfile, strings.Join(problems, "; "))
	}
	return nil
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
