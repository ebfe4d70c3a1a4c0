package main

import (
	"testing"
)

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"/a b:$PATH", "'/a b:$PATH'"},
		{"it's", `'it'\''s'`},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestNoArgs(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr bool
	}{
		{nil, false},
		{[]string{"extra"}, true},
		{[]string{"-x"}, true},
	}
	for _, tt := range tests {
		if err := noArgs("up", tt.args); (err != nil) != tt.wantErr {
			t.Errorf("noArgs(%q) = %v, want error %v", tt.args, err, tt.wantErr)
		}
	}
}

// TestUpConfigSteps: up runs the Go SDK image step before the engine and
// the bases step after the registry, from one explicit list.
func TestUpConfigSteps(t *testing.T) {
	cfg := upConfig()
	if len(cfg.BeforeEngine) != 1 || cfg.BeforeEngine[0].Name != "go-sdk-image" || len(cfg.AfterRegistry) != 1 || cfg.AfterRegistry[0].Name != "bases" {
		t.Errorf("upConfig() steps = %v / %v, want go-sdk-image / bases", cfg.BeforeEngine, cfg.AfterRegistry)
	}
}
