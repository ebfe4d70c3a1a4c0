package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"dagger/immutable/bench"
	"dagger/immutable/pipeline"
)

// defaultBenchResults is the committed results file `bench` appends to.
const defaultBenchResults = "bench/results.tsv"

func cmdBench(ctx context.Context, args []string) error {
	var bf buildFlags
	var runs int
	var doors, results, only string
	if err := parse("bench", args, &bf, nil, func(fs *flag.FlagSet) {
		fs.IntVar(&runs, "runs", bench.DefaultRuns, "how many times each benchmark runs (alternating ours and the baseline); 1 for a smoke check")
		fs.StringVar(&doors, "doors", "ci,dagger", "doors whose unchanged re-release is timed: ci (go run ./ci release), dagger (dagger call release); \"\" for none")
		fs.StringVar(&results, "results", defaultBenchResults, "append the figures to this tab-separated file (\"\" to not record)")
		fs.StringVar(&only, "only", "", "comma-separated groups to run: verify, warm-rebuild (with size), test-stage, doors (default: all)")
	}); err != nil {
		return err
	}
	return withBuild(ctx, &bf, func(s *session, o pipeline.BuildOptions) error {
		opts := bench.Options{Runs: runs, Log: os.Stderr}
		if only != "" {
			opts.Only = strings.Split(only, ",")
		}
		for _, d := range strings.Split(doors, ",") {
			if d == "" {
				continue
			}
			door, err := benchDoor(d)
			if err != nil {
				return err
			}
			opts.Doors = append(opts.Doors, door)
		}
		stamp := bench.Stamp{Date: time.Now(), Commit: bench.Commit("."), Machine: bench.Machine()}
		figs, err := bench.Run(ctx, s.c, o, bf.source, s.workDir, opts)
		if err != nil {
			return err
		}
		fmt.Printf("%s, commit %s, %s\n", stamp.Date.UTC().Format(time.RFC3339), stamp.Commit, stamp.Machine)
		bench.Format(os.Stdout, figs)
		if results != "" {
			if err := bench.AppendResults(results, stamp, figs); err != nil {
				return err
			}
			fmt.Printf("appended to %s\n", results)
		}
		return nil
	})
}

// benchDoor releases the default fixture as 1.0.0 into a new repository of
// the local registry through a door, as a user would type it.
func benchDoor(door string) (bench.Door, error) {
	reg := os.Getenv("IMMUTABLE_REGISTRY")
	if reg == "" {
		reg = "localhost:5000"
	}
	repo := fmt.Sprintf("%s/bench-noop-%s-%d", reg, door, time.Now().UnixNano())
	var argv []string
	d := bench.Door{Key: "noop-" + door}
	switch door {
	case "ci":
		argv = []string{"go", "run", "./ci", "release", "--version", "1.0.0", "--registry", repo}
		d.Name, d.Target = "no-op re-release, go run ./ci", 2
	case "dagger":
		argv = []string{"dagger", "call", "with-registry", "--address", repo, "--service", "tcp://" + reg, "release", "--version", "1.0.0", "summary"}
		d.Name, d.Target = "no-op re-release, dagger call", 5
	default:
		return d, fmt.Errorf("--doors: unknown door %q (want ci or dagger)", door)
	}
	d.Release = func(ctx context.Context) (string, error) {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return out.String(), fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, out.String())
		}
		return out.String(), nil
	}
	return d, nil
}
