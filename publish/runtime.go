package publish

// Runtime is how a released image starts, as its config says: what a
// release record keeps so that the runtime configuration (part of the
// digest) can be audited without pulling the image.
type Runtime struct {
	// Entrypoint and Cmd are the command: entrypoint, then the arguments
	// after it (e.g. ["node", "server.js"] and ["data.json"]).
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	// Env is the environment, KEY=VALUE, the base's included.
	Env []string `json:"env,omitempty"`
	// User is the uid:gid the app runs as; WorkingDir its directory.
	User       string `json:"user,omitempty"`
	WorkingDir string `json:"workingDir,omitempty"`
	// ExposedPorts are the ports the image exposes, e.g. "8080/tcp"; none
	// for a worker.
	ExposedPorts []string `json:"exposedPorts,omitempty"`
	// WritableDirs are the directories the build made writable for User.
	WritableDirs []string `json:"writableDirs,omitempty"`
}
