// Consumer is how another team uses the immutable module: it installs it
// (here from a local path; `dagger install github.com/<org>/immutable@v1`
// elsewhere) and releases its own app with it.
package main

import (
	"context"

	"dagger/consumer/internal/dagger"
)

// Consumer releases the consumer team's app.
type Consumer struct{}

// Release builds, gates and publishes this team's app through immutable.
// +cache="never"
func (m *Consumer) Release(
	ctx context.Context,
	// Version to release, e.g. 1.0.0.
	version string,
	// The team's app.
	// +defaultPath="app"
	source *dagger.Directory,
	// Repository to publish to.
	// +optional
	// +default="localhost:5000/consumer-app"
	registry string,
	// The registry as a service when it is on the caller's localhost.
	// +optional
	registryService *dagger.Service,
) (string, error) {
	return dag.Immutable(dagger.ImmutableOpts{
		Source:          source,
		Revision:        "consumer-example",
		SourceDateEpoch: 1704067200,
	}).WithRegistry(dagger.ImmutableWithRegistryOpts{
		Address: registry,
		Service: registryService,
	}).Release(version).Summary(ctx)
}
