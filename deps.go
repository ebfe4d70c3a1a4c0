//go:build tools

package main

import (
	_ "dagger.io/dagger"
	_ "github.com/Masterminds/semver/v3"
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "golang.org/x/sync/errgroup"
)
