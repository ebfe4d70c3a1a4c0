package nodeapp

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// CheckEngines reports whether nodeVersion (e.g. "v24.21.0") satisfies the
// app's engines.node range; an app without one accepts any version.
func (a *App) CheckEngines(nodeVersion string) error {
	if a.EnginesNode == "" {
		return nil
	}
	v, err := semver.NewVersion(strings.TrimPrefix(strings.TrimSpace(nodeVersion), "v"))
	if err != nil {
		return fmt.Errorf("base image node version %q: %w", nodeVersion, err)
	}
	c, err := semver.NewConstraint(a.EnginesNode)
	if err != nil {
		return fmt.Errorf("package.json %w %q is not a valid range: %w", ErrEngines, a.EnginesNode, err)
	}
	if !c.Check(v) {
		return fmt.Errorf("package.json %w is %q but the base image has node %s: choose a base with a matching Node version or change engines.node", ErrEngines, a.EnginesNode, v)
	}
	return nil
}
