package main

import (
	"context"
	"flag"
	"os"

	"dagger/immutable/pipeline"
)

// defaultAdvisoryDB is the repository's small OSV database, used when it
// exists (i.e. when ci runs from the repository root).
const defaultAdvisoryDB = "fixtures/osv"

// scanFlags configure the vulnerability scan.
type scanFlags struct {
	db, failOn string
}

func (f *scanFlags) register(fs *flag.FlagSet) {
	def := ""
	if st, err := os.Stat(defaultAdvisoryDB); err == nil && st.IsDir() {
		def = defaultAdvisoryDB
	}
	fs.StringVar(&f.db, "advisory-db", def, "OSV advisory database: a directory or .zip of OSV JSON (e.g. osv.dev's npm/all.zip); \"\" skips the scan")
	fs.StringVar(&f.failOn, "fail-on", "high", "fail on findings at or above: low, medium, high, critical, unknown (any) or none")
}

// cmdSbom builds the image and prints its CycloneDX SBOM, or reads the SBOM
// attached to a published image (--digest).
func cmdSbom(ctx context.Context, args []string) error {
	var bf buildFlags
	var rf registryFlags
	var out, digest string
	fs := func(fs *flag.FlagSet) {
		fs.StringVar(&out, "output", "", "write the SBOM to this file instead of stdout")
		fs.StringVar(&digest, "digest", "", "fetch the SBOM attached to <registry>@<digest> instead of building")
	}
	if err := parse("sbom", args, &bf, &rf, fs); err != nil {
		return err
	}
	var bom []byte
	if digest != "" {
		reg, err := rf.registry()
		if err != nil {
			return err
		}
		if bom, err = pipeline.FetchSBOM(ctx, reg, digest); err != nil {
			return err
		}
	} else {
		err := withBuild(ctx, &bf, func(s *session, o pipeline.BuildOptions) (err error) {
			bom, err = pipeline.BuildSBOM(ctx, s.c, o, s.workDir)
			return err
		})
		if err != nil {
			return err
		}
	}
	if out != "" {
		return os.WriteFile(out, bom, 0o644)
	}
	_, err := os.Stdout.Write(bom)
	return err
}

// cmdScan builds the image, generates its SBOM and scans it against an
// offline OSV database; it fails when a finding reaches --fail-on.
func cmdScan(ctx context.Context, args []string) error {
	var bf buildFlags
	var sf scanFlags
	if err := parse("scan", args, &bf, nil, sf.register); err != nil {
		return err
	}
	return withBuild(ctx, &bf, func(s *session, o pipeline.BuildOptions) error {
		report, err := pipeline.ScanApp(ctx, s.c, o, s.workDir, sf.db, sf.failOn)
		if err != nil {
			return err
		}
		return show(bf.json, report)
	})
}
