//go:build tools

// Package cosign only pins versions; see go.mod.
package cosign

import (
	_ "github.com/sigstore/cosign/v2/cmd/cosign"
)
