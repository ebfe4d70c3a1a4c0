package nodeapp

import "errors"

// Error classes: every error from Inspect, CheckLockfile and CheckEngines
// wraps one of these, so callers can tell what to fix with errors.Is.
var (
	// ErrPackageJSON: package.json is missing or not valid JSON.
	ErrPackageJSON = errors.New("package.json")
	// ErrLockfile: package-lock.json is missing, invalid, too old, or out
	// of sync with package.json.
	ErrLockfile = errors.New("package-lock.json")
	// ErrPackageManager: the project uses another package manager than npm.
	ErrPackageManager = errors.New("package manager")
	// ErrEntrypoint: the file that starts the app cannot be determined.
	ErrEntrypoint = errors.New("entrypoint")
	// ErrEngines: engines.node does not accept the base image's Node.js.
	ErrEngines = errors.New("engines.node")
)
