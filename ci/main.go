// Command ci runs the immutable pipeline without the Dagger module runtime:
// the same pipeline/ code the module calls, driven by dagger.Connect. It
// also provisions the engine and registry it runs on.
//
//	go run ./ci up|env|down          provision, print env, stop
//	go run ./ci release --version X  build, gate and publish
//	go run ./ci test                 provision, then the project's test suite
//
// Run `go run ./ci help` for every verb.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

type verb struct {
	run  func(ctx context.Context, args []string) error
	help string
}

var verbs = map[string]verb{
	"up":               {cmdUp, "provision the Dagger engine, registry and base images (idempotent; --bases-from FILE)"},
	"bases":            {cmdBases, "the pinned Node base images: update (relock), push --registry, save FILE"},
	"env":              {cmdEnv, "print export lines for a shell: eval \"$(go run ./ci env)\""},
	"down":             {cmdDown, "stop the engine and registry that up started"},
	"test":             {cmdTest, "provision, then run the whole test suite (go test ./...)"},
	"build":            {cmdBuild, "build the app into a normalized image and print its digest"},
	"test-app":         {cmdTestApp, "build, then run unit tests, lint, smoke test and image checks in parallel"},
	"verify":           {cmdVerify, "build twice independently and compare digests"},
	"publish":          {cmdPublish, "build and publish without the test gates (prefer release)"},
	"release":          {cmdRelease, "build, run every gate, publish semver tags"},
	"releases":         {cmdReleases, "list published versions and where floating tags point"},
	"rollback":         {cmdRollback, "move floating tags back to an earlier release"},
	"sbom":             {cmdSbom, "build and print the image's CycloneDX SBOM (or --digest: fetch an attached one)"},
	"scan":             {cmdScan, "build, then scan the SBOM against an offline OSV advisory database"},
	"sign":             {cmdSign, "sign a published image with a cosign-compatible signature (--key, $COSIGN_PASSWORD)"},
	"verify-signature": {cmdVerifySignature, "check a published image's cosign signature against a public key"},
	"verify-release":   {cmdVerifyRelease, "before a deploy: is the image a tag points at now signed, with matching provenance, an SBOM and every gate passed?"},
	"prune":            {cmdPrune, "prune the engine cache (engine policy, --keep SIZE or --all)"},
	"bench":            {cmdBench, "measure the pipeline against baselines from the same run (ratios)"},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 || os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage()
		return
	}
	v, ok := verbs[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "ci: unknown verb %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := v.run(ctx, os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h printed the verb's flags
		}
		fmt.Fprintf(os.Stderr, "ci %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: go run ./ci <verb> [flags]   (go run ./ci <verb> -h for flags)")
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-9s %s\n", n, verbs[n].help)
	}
}
