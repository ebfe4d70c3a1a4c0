// Package soak holds the long end-to-end release tests, run through the
// real engine and registry: three whole releases at once
// (TestConcurrentReleases), and the soak (TestSoak) — many release cycles
// with changing source, reporting the engine's memory and state growth and
// what pruning its cache reclaims.
//
// Run them alone with
//
//	go run ./ci test -run 'TestSoak|TestConcurrentReleases' ./soak
//
// IMMUTABLE_SOAK_CYCLES sets the number of soak cycles (default 20).
package soak
