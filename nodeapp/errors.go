package nodeapp

import "errors"

// Error classes: every error from Inspect, CheckLockfile and CheckEngines
// wraps one of these, so callers can tell what to fix with errors.Is.
var (
	// ErrPackageJSON: package.json is missing or not valid JSON.
	ErrPackageJSON = errors.New("package.json")
	// ErrLockfile: the lockfile (package-lock.json, yarn.lock or
	// pnpm-lock.yaml) is missing, invalid, too old, or out of sync with
	// package.json.
	ErrLockfile = errors.New("lockfile")
	// ErrPackageManager: the package manager or its configuration is not
	// supported (bun, yarn Plug'n'Play, yarn 2–3, pnpm 8 and older), or
	// package.json's packageManager disagrees with the lockfile.
	ErrPackageManager = errors.New("package manager")
	// ErrEntrypoint: the file that starts the app cannot be determined.
	ErrEntrypoint = errors.New("entrypoint")
	// ErrEngines: engines.node does not accept the base image's Node.js.
	ErrEngines = errors.New("engines.node")
)
