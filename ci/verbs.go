package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"dagger.io/dagger"

	"dagger/immutable/pipeline"
	"dagger/immutable/provision"
)

// session is a connected engine plus a scratch directory for image tarballs.
type session struct {
	c       *dagger.Client
	workDir string
}

// connect uses the engine the environment names
// (_EXPERIMENTAL_DAGGER_RUNNER_HOST), else provisions one with `up`
// (idempotent: a no-op when it already runs) and uses that.
func connect(ctx context.Context, progress bool) (*session, error) {
	if os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST") == "" {
		cfg := upConfig()
		cfg.Log = os.Stderr
		if err := provision.Up(ctx, cfg); err != nil {
			return nil, err
		}
		for _, kv := range cfg.Env() {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
	}
	var logw io.Writer = io.Discard
	if progress {
		logw = os.Stderr
	}
	c, err := dagger.Connect(ctx, dagger.WithLogOutput(logw))
	if err != nil {
		return nil, fmt.Errorf("connecting to the Dagger engine: %w", err)
	}
	dir, err := os.MkdirTemp("", "immutable-")
	if err != nil {
		c.Close()
		return nil, err
	}
	return &session{c: c, workDir: dir}, nil
}

// withBuild connects (see connect), resolves the build flags and runs fn.
func withBuild(ctx context.Context, bf *buildFlags, fn func(s *session, o pipeline.BuildOptions) error) error {
	s, err := connect(ctx, bf.progress)
	if err != nil {
		return err
	}
	defer s.Close()
	o, err := bf.options(s.c)
	if err != nil {
		return err
	}
	return fn(s, o)
}

func (s *session) Close() {
	os.RemoveAll(s.workDir)
	s.c.Close()
}

// parse registers the shared flags plus extra on a new FlagSet and parses.
func parse(verb string, args []string, bf *buildFlags, rf *registryFlags, extra func(*flag.FlagSet)) error {
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	if bf != nil {
		bf.register(fs)
	}
	if rf != nil {
		rf.register(fs)
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return nil
}

// show prints r as text, or as JSON with --json, and returns r's verdict
// (see pipeline.Render).
func show(asJSON bool, r pipeline.Report) error {
	return pipeline.Render(os.Stdout, r, asJSON)
}

func cmdBuild(ctx context.Context, args []string) error {
	var bf buildFlags
	var out string
	if err := parse("build", args, &bf, nil, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "output", "", "also write the normalized image as an OCI tarball to this path (with --platforms of more than one: an OCI image layout directory holding the index)")
	}); err != nil {
		return err
	}
	return withBuild(ctx, &bf, func(s *session, o pipeline.BuildOptions) error {
		b, img, err := pipeline.BuildImage(ctx, s.c, o, s.workDir)
		if err != nil {
			return err
		}
		switch {
		case out != "" && img.Index != nil:
			// Several platforms: an OCI image layout directory holding the index.
			if err := writeLayout(out, img.Index); err != nil {
				return err
			}
		case out != "":
			if err := copyFile(img.Tarball, out); err != nil {
				return err
			}
		}
		return show(bf.json, img.Report(b))
	})
}

func cmdTestApp(ctx context.Context, args []string) error {
	var bf buildFlags
	if err := parse("test-app", args, &bf, nil, nil); err != nil {
		return err
	}
	return withBuild(ctx, &bf, func(s *session, o pipeline.BuildOptions) error {
		_, _, report, err := pipeline.BuildAndTest(ctx, s.c, o, s.workDir)
		if err != nil {
			return err
		}
		return show(bf.json, report)
	})
}

func cmdVerify(ctx context.Context, args []string) error {
	var bf buildFlags
	if err := parse("verify", args, &bf, nil, nil); err != nil {
		return err
	}
	return withBuild(ctx, &bf, func(s *session, o pipeline.BuildOptions) error {
		report, err := pipeline.Verify(ctx, s.c, o, s.workDir, nil)
		if err != nil {
			return err
		}
		return show(bf.json, report)
	})
}

// cmdRelease runs the gated release: build, every gate, publish.
func cmdRelease(ctx context.Context, args []string) error {
	var bf buildFlags
	var rf registryFlags
	var sf scanFlags
	var signKey string
	if err := parse("release", args, &bf, &rf, func(fs *flag.FlagSet) {
		sf.register(fs)
		fs.StringVar(&signKey, "sign-key", "", "sign the released image with this private key (cosign.key; password in $"+passwordEnv+")")
	}); err != nil {
		return err
	}
	if bf.version == "" {
		return fmt.Errorf("--version is required, e.g. --version 1.4.0")
	}
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	key, keyPassword, err := signingKey(signKey)
	if err != nil {
		return err
	}
	return withBuild(ctx, &bf, func(s *session, o pipeline.BuildOptions) error {
		report, err := pipeline.Release(ctx, s.c, pipeline.ReleaseOptions{
			Build: o, Registry: reg, WorkDir: s.workDir, AdvisoryDB: sf.db, FailOn: sf.failOn,
			SigningKey: key, SigningPassword: keyPassword,
		})
		if report != nil {
			if perr := show(bf.json, report); perr != nil && err == nil {
				return perr
			}
		}
		return err
	})
}

// cmdPublish publishes an image built earlier (`build --output image.tar`)
// after the image checks; release is the gated path from source.
func cmdPublish(ctx context.Context, args []string) error {
	var rf registryFlags
	var image, version string
	var asJSON bool
	if err := parse("publish", args, nil, &rf, func(fs *flag.FlagSet) {
		fs.StringVar(&image, "image", "", "OCI tarball written by go run ./ci build --output")
		fs.StringVar(&version, "version", "", "version to publish, semver (e.g. 1.4.0)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}); err != nil {
		return err
	}
	if image == "" || version == "" {
		return fmt.Errorf("--image and --version are required, e.g. --image image.tar --version 1.4.0")
	}
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	res, err := pipeline.PublishTarball(ctx, reg, image, version)
	if err != nil {
		return err
	}
	return show(asJSON, res)
}

func cmdReleases(ctx context.Context, args []string) error {
	var rf registryFlags
	var asJSON bool
	if err := parse("releases", args, nil, &rf, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}); err != nil {
		return err
	}
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	h, err := pipeline.Releases(ctx, reg)
	if err != nil {
		return err
	}
	return show(asJSON, h)
}

func cmdRollback(ctx context.Context, args []string) error {
	var rf registryFlags
	var to string
	var asJSON bool
	if err := parse("rollback", args, nil, &rf, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "version to roll back to, e.g. 1.2.3 (must have been released)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}); err != nil {
		return err
	}
	if to == "" {
		return fmt.Errorf("--to is required, e.g. --to 1.2.3")
	}
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	res, err := pipeline.Rollback(ctx, reg, to)
	if err != nil {
		return err
	}
	return show(asJSON, res)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
