package main

import (
	"context"
	"flag"
	"fmt"

	"dagger.io/dagger"
)

// cmdPrune prunes the engine's cache. Without flags it applies the engine's
// own garbage-collection policy (the one it runs by itself in the
// background); --keep 10GB prunes least recently used entries until the
// cache is at most that size; --all removes every entry no session uses.
func cmdPrune(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("prune", flag.ContinueOnError)
	keep := fs.String("keep", "", `prune until the cache is at most this size, e.g. "10GB" or "20%" of the disk`)
	all := fs.Bool("all", false, "remove every cache entry that no running session uses")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keep != "" && *all {
		return fmt.Errorf("prune: --keep and --all exclude each other")
	}
	s, err := connect(ctx, false)
	if err != nil {
		return err
	}
	defer s.Close()
	cache := s.c.Engine().LocalCache()
	before, err := cache.EntrySet().DiskSpaceBytes(ctx)
	if err != nil {
		return fmt.Errorf("prune: reading the cache size: %w", err)
	}
	opts := dagger.EngineCachePruneOpts{UseDefaultPolicy: !*all && *keep == ""}
	if *keep != "" {
		opts.MaxUsedSpace, opts.TargetSpace = *keep, *keep
	}
	if err := cache.Prune(ctx, opts); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	after, err := cache.EntrySet().DiskSpaceBytes(ctx)
	if err != nil {
		return fmt.Errorf("prune: reading the cache size: %w", err)
	}
	fmt.Printf("engine cache: %.2f GB -> %.2f GB (%.2f GB reclaimed)\n", float64(before)/1e9, float64(after)/1e9, float64(before-after)/1e9)
	return nil
}
