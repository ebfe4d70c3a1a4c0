package main

import (
	"context"
	"fmt"
	"os"

	lib "dagger.io/dagger"

	"dagger/immutable/internal/dagger"
	"dagger/immutable/pipeline"
)

// session is the dagger.io/dagger client of this function's session plus a
// scratch directory; pipeline/ is written against that library.
type session struct {
	c       *lib.Client
	workDir string
}

// build connects to the function's session and maps the module's settings
// to the pipeline's build options for version.
func (m *Immutable) build(ctx context.Context, version string) (*session, pipeline.BuildOptions, error) {
	c, err := lib.Connect(ctx)
	if err != nil {
		return nil, pipeline.BuildOptions{}, fmt.Errorf("connecting to the session: %w", err)
	}
	s := &session{c: c, workDir: "/tmp"}
	o, err := m.options(ctx, s, version)
	return s, o, err
}

// options converts the module's settings into pipeline.BuildOptions; the
// source directory, npm token and npm registry cross from generated to
// library types by ID.
func (m *Immutable) options(ctx context.Context, s *session, version string) (pipeline.BuildOptions, error) {
	id, err := m.Source.ID(ctx)
	if err != nil {
		return pipeline.BuildOptions{}, err
	}
	var npmToken *lib.Secret
	if m.NpmToken != nil {
		id, err := m.NpmToken.ID(ctx)
		if err != nil {
			return pipeline.BuildOptions{}, err
		}
		npmToken = s.c.LoadSecretFromID(lib.SecretID(id))
	}
	var npmRegistry *lib.Service
	if m.NpmRegistry != nil {
		id, err := m.NpmRegistry.ID(ctx)
		if err != nil {
			return pipeline.BuildOptions{}, err
		}
		npmRegistry = s.c.LoadServiceFromID(lib.ServiceID(id))
	}
	rev, epoch, err := m.checkout(ctx, s)
	if err != nil {
		return pipeline.BuildOptions{}, err
	}
	o := pipeline.BuildOptions{
		Source:            s.c.LoadDirectoryFromID(lib.DirectoryID(id)),
		RuntimeBase:       m.RuntimeBase,
		BuilderBase:       m.BuilderBase,
		AllowUnpinnedBase: m.AllowUnpinnedBase,
		Version:           version,
		Revision:          rev,
		SourceURL:         m.SourceURL,
		Epoch:             epoch,
		Entrypoint:        m.Entrypoint,
		Port:              m.Port,
		NpmToken:          npmToken,
		NpmRegistry:       npmRegistry,
		NpmRegistryHost:   m.NpmRegistryHost,
	}
	return o, m.appOptions(&o)
}

// advisoryDB exports an advisory database directory into the function's
// filesystem for the scan, which reads a path; nil gives "".
func (s *session) advisoryDB(ctx context.Context, dir *dagger.Directory) (string, error) {
	if dir == nil {
		return "", nil
	}
	path, err := os.MkdirTemp(s.workDir, "osv-")
	if err != nil {
		return "", err
	}
	if _, err := dir.Export(ctx, path); err != nil {
		return "", fmt.Errorf("exporting the advisory database: %w", err)
	}
	return path, nil
}

// container hands a normalized image back as a generated-type Container.
func (s *session) container(ctx context.Context, img *pipeline.Image) (*dagger.Container, error) {
	id, err := img.Container(s.c).ID(ctx)
	if err != nil {
		return nil, err
	}
	return dag.LoadContainerFromID(dagger.ContainerID(id)), nil
}
