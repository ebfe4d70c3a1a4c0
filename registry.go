package main

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"

	"dagger/immutable/internal/dagger"
	"dagger/immutable/pipeline"
	"dagger/immutable/publish"
)

// registry maps the withRegistry settings to the pipeline's registry, for
// requests to repo (the registry's own repository, or the one of an image
// reference). The registry service, when set, is started and tunnelled to
// under the registry address's host name; another host on the caller's
// machine cannot be reached.
func (m *Immutable) registry(ctx context.Context, repo string) (pipeline.Registry, error) {
	tagPrefix := m.TagPrefix
	r := pipeline.Registry{
		Repo:    m.Registry,
		Access:  publish.Access{Insecure: m.RegistryInsecure},
		Publish: publish.Options{TagPrefix: &tagPrefix},
	}
	if m.RegistryUsername != "" {
		if m.RegistryPassword == nil {
			return r, fmt.Errorf("with-registry --username given without --password (e.g. --password env:REGISTRY_TOKEN)")
		}
		pw, err := m.RegistryPassword.Plaintext(ctx)
		if err != nil {
			return r, err
		}
		r.Access.Auth = &authn.Basic{Username: m.RegistryUsername, Password: pw}
	}
	host, err := pipeline.RegistryHost(repo)
	if err != nil {
		return r, err
	}
	own, err := pipeline.RegistryHost(m.Registry)
	if err != nil {
		return r, err
	}
	if m.RegistryService == nil || host != own {
		if pipeline.IsLoopback(host) {
			return r, fmt.Errorf("registry %s is on the caller's machine, which a module function cannot reach by that name: call with-registry --address %s --service tcp://%s first", host, repo, host)
		}
		return r, nil
	}
	if _, err := m.RegistryService.Start(ctx); err != nil {
		return r, fmt.Errorf("starting the registry service: %w", err)
	}
	endpoint, err := m.RegistryService.Endpoint(ctx)
	if err != nil {
		return r, fmt.Errorf("registry service endpoint: %w", err)
	}
	r.Access.Transport = pipeline.TunnelTransport(own, endpoint)
	return r, nil
}

// registryFor is registry for the repository of an image reference (a
// bare tag or digest is in the registry's own repository).
func (m *Immutable) registryFor(ctx context.Context, ref string) (pipeline.Registry, error) {
	base := pipeline.Registry{Repo: m.Registry}
	r, err := publish.Access{Insecure: m.RegistryInsecure}.Reference(base.ImageRef(ref))
	if err != nil {
		return pipeline.Registry{}, err
	}
	return m.registry(ctx, r.Context().Name())
}

// verifyWith reads the public key PEM from key and reaches the registry of
// ref (see registryFor), then renders in format what verify reports for
// them. It is the body of VerifySignature and VerifyRelease.
func (m *Immutable) verifyWith(ctx context.Context, ref string, key *dagger.File, format string,
	verify func(ctx context.Context, reg pipeline.Registry, pub []byte) (pipeline.Report, error)) (string, error) {
	pub, err := key.Contents(ctx)
	if err != nil {
		return "", err
	}
	reg, err := m.registryFor(ctx, ref)
	if err != nil {
		return "", err
	}
	r, err := verify(ctx, reg, []byte(pub))
	if err != nil {
		return "", err
	}
	return output(r, format)
}

// secretKey reads a PEM key and its optional password from secrets (nil
// key gives nil). Their values are never logged.
func secretKey(ctx context.Context, key, password *dagger.Secret) (pem, pw []byte, err error) {
	if key == nil {
		return nil, nil, nil
	}
	k, err := key.Plaintext(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the signing key secret: %w", err)
	}
	if password != nil {
		p, err := password.Plaintext(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the signing key password secret: %w", err)
		}
		pw = []byte(p)
	}
	return []byte(k), pw, nil
}
