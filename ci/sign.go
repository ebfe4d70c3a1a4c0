package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"dagger/immutable/pipeline"
)

// passwordEnv holds the private key's password, as for the cosign CLI.
const passwordEnv = "COSIGN_PASSWORD"

// signFlags name the image and the key of sign and verify-signature.
type signFlags struct {
	image, key string
	json       bool
}

func (f *signFlags) register(fs *flag.FlagSet, keyHelp string) {
	fs.StringVar(&f.image, "image", "", "image to sign or verify: repo@sha256:... or repo:tag (a tag is resolved to its digest now); a bare tag or digest is taken in --registry")
	fs.StringVar(&f.key, "key", "", keyHelp)
	fs.BoolVar(&f.json, "json", false, "print JSON")
}

// ref is the image reference: a bare tag or digest is taken in repo.
func (f *signFlags) ref(repo string) string {
	switch {
	case strings.Contains(f.image, "/"):
		return f.image
	case strings.HasPrefix(f.image, "sha256:"):
		return repo + "@" + f.image
	default:
		return repo + ":" + f.image
	}
}

// cmdSign signs a published image with a cosign-compatible signature.
func cmdSign(ctx context.Context, args []string) error {
	var rf registryFlags
	var sf signFlags
	if err := parse("sign", args, nil, &rf, func(fs *flag.FlagSet) {
		sf.register(fs, "private key PEM (cosign.key from `cosign generate-key-pair`, password in $"+passwordEnv+"; or unencrypted PKCS#8/EC)")
	}); err != nil {
		return err
	}
	if sf.image == "" || sf.key == "" {
		return fmt.Errorf("--image and --key are required, e.g. --image localhost:5000/hello-immutable:v1.0.0 --key cosign.key")
	}
	key, err := os.ReadFile(sf.key)
	if err != nil {
		return err
	}
	po, err := rf.options()
	if err != nil {
		return err
	}
	digest, sig, err := pipeline.SignImage(ctx, sf.ref(rf.repo), key, []byte(os.Getenv(passwordEnv)), po)
	if err != nil {
		return err
	}
	if sf.json {
		return printJSON(map[string]string{"image": sf.ref(rf.repo), "digest": digest, "signature": sig})
	}
	fmt.Printf("signed %s (%s)\n  signature: %s\n", sf.ref(rf.repo), digest, sig)
	return nil
}

// cmdVerifySignature checks an image's cosign signature against a public key.
func cmdVerifySignature(ctx context.Context, args []string) error {
	var rf registryFlags
	var sf signFlags
	if err := parse("verify-signature", args, nil, &rf, func(fs *flag.FlagSet) {
		sf.register(fs, "public key PEM (cosign.pub)")
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
	v, err := pipeline.VerifySignature(ctx, sf.ref(rf.repo), pub, po)
	if err != nil {
		return err
	}
	if sf.json {
		return printJSON(v)
	}
	fmt.Printf("verified %s: %d of %d signatures valid for %s\n  signatures: %s (%s)\n", v.Ref, v.Valid, v.Total, sf.key, v.Tag, v.SignatureDigest)
	return nil
}

// signingKey reads the release's --sign-key file ("" gives nil) and the
// password from $COSIGN_PASSWORD.
func signingKey(path string) (key, password []byte, err error) {
	if path == "" {
		return nil, nil, nil
	}
	if key, err = os.ReadFile(path); err != nil {
		return nil, nil, fmt.Errorf("--sign-key: %w", err)
	}
	return key, []byte(os.Getenv(passwordEnv)), nil
}
