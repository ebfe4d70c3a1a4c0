package main

import (
	"context"
	"flag"

	"dagger/immutable/pipeline"
)

// cmdVerifyRelease says whether the image a tag points at now is safe to
// deploy: signed, with provenance matching its release record, an SBOM
// and every gate passed.
func cmdVerifyRelease(ctx context.Context, args []string) error {
	var rf registryFlags
	var sf signFlags
	if err := parse("verify-release", args, nil, &rf, func(fs *flag.FlagSet) {
		sf.register(fs, "public key PEM (cosign.pub) the release was signed with")
	}); err != nil {
		return err
	}
	reg, pub, err := sf.load(&rf, "cosign.pub")
	if err != nil {
		return err
	}
	c, err := pipeline.VerifyRelease(ctx, reg, sf.image, pub)
	if err != nil {
		return err
	}
	return show(sf.json, c)
}
