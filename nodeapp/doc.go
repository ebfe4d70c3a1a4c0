// Package nodeapp reads a Node.js project's manifest files (package.json,
// package-lock.json) and decides how to build it: which file starts it, which
// dependencies are for production, whether the lockfile matches the manifest
// and whether a given Node version satisfies engines.node.
//
// It works on file contents only, so it is tested without an engine; the
// pipeline package feeds it files read through Dagger.
package nodeapp
