package provision

import (
	"context"
	"net"
	"strings"
	"testing"
)

func TestRegistryStepPortHeldByOther(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := Config{Home: t.TempDir(), Registry: l.Addr().String()}
	err = registryStep(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "is held by a process up did not start") {
		t.Errorf("registryStep with %s taken = %v, want a clear port-in-use error", cfg.Registry, err)
	}
}
