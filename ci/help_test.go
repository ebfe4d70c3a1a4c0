package main

import (
	"context"
	"errors"
	"flag"
	"testing"
)

// TestEveryVerbHelp: `go run ./ci <verb> -h` prints the verb's flags and
// main exits 0 for flag.ErrHelp, for every verb (none starts work first).
func TestEveryVerbHelp(t *testing.T) {
	for name, v := range verbs {
		t.Run(name, func(t *testing.T) {
			if err := v.run(context.Background(), []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
				t.Errorf("%s -h = %v, want flag.ErrHelp (exit 0 after printing the flags)", name, err)
			}
		})
	}
	for _, sub := range []string{"update", "push", "save"} {
		if err := cmdBases(context.Background(), []string{sub, "-h"}); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("bases %s -h = %v, want flag.ErrHelp", sub, err)
		}
	}
}
