package main

import (
	"context"
	"flag"
	"fmt"
	"os"

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
	if sf.image == "" || sf.key == "" {
		return fmt.Errorf("--image and --key are required, e.g. --image localhost:5000/hello-immutable:v1.0.0 --key cosign.pub")
	}
	pub, err := os.ReadFile(sf.key)
	if err != nil {
		return err
	}
	po, err := rf.options()
	if err != nil {
		return err
	}
	c, err := pipeline.VerifyRelease(ctx, sf.ref(rf.repo), pub, po)
	if err != nil {
		return err
	}
	if sf.json {
		if err := printJSON(c); err != nil {
			return err
		}
	} else {
		c.Format(os.Stdout)
	}
	return c.Err()
}
