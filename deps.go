//go:build tools

package main

// Pins modules that packages of this module use, so `go mod tidy` keeps them
// while those packages are being written.
import (
	_ "github.com/CycloneDX/cyclonedx-go"
	_ "github.com/package-url/packageurl-go"
	_ "github.com/sigstore/sigstore/pkg/signature"
)
