package publish

import "fmt"

// DeployCommand returns the docker command that runs ref as a detached
// container called name, e.g.
// DeployCommand("my-app", res.Ref) ==
// "docker run -d --name my-app localhost:5000/my-app@sha256:...".
// Pass the pinned ref (Result.Ref) to deploy exactly what was released; a
// tag form (repo:v1.2.3) works too but can be moved by later releases or
// rollbacks (version tags are immutable only through this package).
func DeployCommand(name, ref string) string {
	return fmt.Sprintf("docker run -d --name %s %s", name, ref)
}
