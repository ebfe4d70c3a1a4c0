package pipeline

import (
	"fmt"
	"regexp"

	"dagger.io/dagger"
)

// NpmTokenEnv is the environment variable that holds BuildOptions.NpmToken
// while `npm ci` runs. A project's .npmrc refers to it, e.g.
//
//	@acme:registry=http://npm-registry:4873/
//	//npm-registry:4873/:_authToken=${NPM_TOKEN}
const NpmTokenEnv = "NPM_TOKEN"

// DefaultNpmRegistryHost is the host name the builder reaches
// BuildOptions.NpmRegistry by when BuildOptions.NpmRegistryHost is "".
const DefaultNpmRegistryHost = "npm-registry"

// npmAuthFiles never reach the app layer, whatever .dockerignore says: they
// are appended after its patterns, so a "!.npmrc" there cannot re-include
// them.
var npmAuthFiles = []string{
	".npmrc", "**/.npmrc", ".yarnrc", "**/.yarnrc", ".yarnrc.yml", "**/.yarnrc.yml",
}

// hostAlias is a DNS label: what WithServiceBinding accepts as an alias.
var hostAlias = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// npmRegistryHost returns the alias of the private npm registry, checked.
func npmRegistryHost(o BuildOptions) (string, error) {
	h := o.NpmRegistryHost
	if h == "" {
		h = DefaultNpmRegistryHost
	}
	if !hostAlias.MatchString(h) {
		return "", fmt.Errorf("build: npm registry host %q: want a host name such as %s (lowercase letters, digits, '-')", h, DefaultNpmRegistryHost)
	}
	return h, nil
}

// npmExec runs an npm command in ctr with the private registry bound (when
// o.NpmRegistry is set) and the token in $NPM_TOKEN for that command only:
// the secret is removed from the returned container, so later commands
// (unit tests, lint) never see it. Dagger never writes a secret variable
// into a layer and scrubs its value from command output.
func npmExec(ctr *dagger.Container, o BuildOptions, args []string) *dagger.Container {
	if o.NpmRegistry != nil {
		ctr = ctr.WithServiceBinding(o.NpmRegistryHost, o.NpmRegistry)
	}
	if o.NpmToken == nil {
		return ctr.WithExec(args)
	}
	return ctr.
		WithSecretVariable(NpmTokenEnv, o.NpmToken).
		WithExec(args).
		WithoutSecretVariable(NpmTokenEnv)
}
