package provision

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRunSteps(t *testing.T) {
	ok := func(context.Context, Config) error { return nil }
	reused := func(context.Context, Config) error { return ErrReused }
	boom := func(context.Context, Config) error { return errors.New("boom") }
	tests := []struct {
		name    string
		steps   []Step
		wantErr string
		wantLog []string
		reused  []bool
	}{
		{
			name:    "ok and reused",
			steps:   []Step{{Name: "a", Doc: "first", Run: ok}, {Name: "b", Run: reused}},
			wantLog: []string{"==> a: first", "    ok (", "==> b", "    reused"},
			reused:  []bool{false, true},
		},
		{
			name:    "failure stops",
			steps:   []Step{{Name: "a", Run: boom}, {Name: "b", Run: ok}},
			wantErr: "up: a: boom",
			wantLog: []string{"==> a", "    failed ("},
			reused:  []bool{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			res, err := runSteps(context.Background(), Config{Log: &log}, tt.steps)
			if gotErr := errString(err); gotErr != tt.wantErr {
				t.Fatalf("err = %q, want %q", gotErr, tt.wantErr)
			}
			for _, w := range tt.wantLog {
				if !strings.Contains(log.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, log.String())
				}
			}
			if strings.Contains(log.String(), "==> b") && tt.wantErr != "" {
				t.Errorf("step after failure ran:\n%s", log.String())
			}
			if len(res) != len(tt.reused) {
				t.Fatalf("got %d results, want %d", len(res), len(tt.reused))
			}
			for i, r := range res {
				if r.Reused != tt.reused[i] {
					t.Errorf("result %d (%s) Reused = %v, want %v", i, r.Name, r.Reused, tt.reused[i])
				}
			}
		})
	}
}

func TestRunStepsSharesEngineEnv(t *testing.T) {
	// BeforeEngine hooks can set EngineEnv even when the caller left it nil.
	var seen string
	set := Step{Name: "set", Run: func(_ context.Context, c Config) error { c.EngineEnv["K"] = "v"; return nil }}
	get := Step{Name: "get", Run: func(_ context.Context, c Config) error { seen = c.EngineEnv["K"]; return nil }}
	if _, err := runSteps(context.Background(), Config{}, []Step{set, get}); err != nil {
		t.Fatal(err)
	}
	if seen != "v" {
		t.Errorf("EngineEnv[K] seen by later step = %q, want %q", seen, "v")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
