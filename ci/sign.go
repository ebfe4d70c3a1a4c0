package main

import (
	"context"
	"flag"
	"fmt"
	"os"

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

// cmdSign signs a published image with a cosign-compatible signature.
func cmdSign(ctx context.Context, args []string) error {
	var rf registryFlags
	var sf signFlags
	if err := parse("sign", args, nil, &rf, func(fs *flag.FlagSet) {
		sf.register(fs, "private key PEM (cosign.key from `cosign generate-key-pair`, password in $"+passwordEnv+"; or unencrypted PKCS#8/EC)")
	}); err != nil {
		return err
	}
	reg, key, err := sf.load(&rf, "cosign.key")
	if err != nil {
		return err
	}
	r, err := pipeline.SignImage(ctx, reg, sf.image, key, []byte(os.Getenv(passwordEnv)))
	if err != nil {
		return err
	}
	return show(sf.json, r)
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
	reg, pub, err := sf.load(&rf, "cosign.pub")
	if err != nil {
		return err
	}
	v, err := pipeline.VerifySignature(ctx, reg, sf.image, pub)
	if err != nil {
		return err
	}
	return show(sf.json, v)
}

// load checks that --image and --key are given and reads the key file
// (example names the key in the error) and the registry flags.
func (f *signFlags) load(rf *registryFlags, example string) (pipeline.Registry, []byte, error) {
	if f.image == "" || f.key == "" {
		return pipeline.Registry{}, nil, fmt.Errorf("--image and --key are required, e.g. --image %s:v1.0.0 --key %s", pipeline.DefaultRepository, example)
	}
	key, err := os.ReadFile(f.key)
	if err != nil {
		return pipeline.Registry{}, nil, err
	}
	reg, err := rf.registry()
	return reg, key, err
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
