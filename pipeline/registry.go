package pipeline

import (
	"context"
	"strings"

	"dagger/immutable/publish"
)

// DefaultRepositoryName is the repository releases go to in a registry
// unless told otherwise.
const DefaultRepositoryName = "hello-immutable"

// DefaultRepository is where releases go unless told otherwise, both
// through `go run ./ci` and through the module.
const DefaultRepository = DefaultBaseRegistry + "/" + DefaultRepositoryName

// Registry is where a flow reads and writes images: the repository, how
// its registry is reached, and the publish rules. Both doors make one from
// their settings; each flow makes one publish.Target of it and reuses that
// for every request (a release: the check, the lookup, the push, the
// attachments and the signature).
type Registry struct {
	// Repo is the repository, e.g. localhost:5000/my-app (see
	// DefaultRepository).
	Repo string
	// Access says how to reach the registry: credentials, transport,
	// retries. The zero value is anonymous access.
	Access publish.Access
	// Publish are the publish rules: tag prefix, host lock, progress log.
	// The zero value tags v1.2.3, v1.2, v1, latest.
	Publish publish.Options
}

// target makes the registry's publish.Target.
func (r Registry) target(ctx context.Context) (*publish.Target, error) {
	return publish.NewTarget(ctx, r.Repo, r.Access)
}

// ImageRef is the image reference sign and verify take: a reference with a
// repository as given, a bare digest (sha256:…) or tag in r.Repo.
func (r Registry) ImageRef(image string) string {
	switch {
	case strings.Contains(image, "/"):
		return image
	case strings.HasPrefix(image, "sha256:"):
		return r.Repo + "@" + image
	default:
		return r.Repo + ":" + image
	}
}
