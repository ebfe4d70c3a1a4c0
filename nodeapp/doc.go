// Package nodeapp reads a Node.js project's manifest files (package.json and
// its lockfile: package-lock.json, yarn.lock or pnpm-lock.yaml) and decides
// how to build it: which package manager, in which exact version, installs
// it; which file starts it; whether the lockfile matches the manifest and
// whether a given Node version satisfies engines.node.
//
// It works on file contents only, so it is tested without an engine; the
// pipeline package feeds it files read through Dagger.
package nodeapp
