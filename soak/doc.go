// Package soak holds the release soak test: many release cycles with
// changing source through the real engine and registry, reporting the
// engine's memory and state growth and what pruning its cache reclaims.
//
// Run it alone with
//
//	go run ./ci test -run TestSoak ./soak
//
// IMMUTABLE_SOAK_CYCLES sets the number of cycles (default 20).
package soak
