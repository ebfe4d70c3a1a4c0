package faultproxy

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestKillAtHold(t *testing.T) {
	held := make(chan string, 1)
	held <- "PUT /v2/x/manifests/v1"
	req, err := KillAtHold(exec.Command("sleep", "60"), held, time.Minute)
	if err != nil || req != "PUT /v2/x/manifests/v1" {
		t.Errorf("KillAtHold = %q, %v; want the held request and no error", req, err)
	}

	_, err = KillAtHold(exec.Command("true"), make(chan string), time.Minute)
	if err == nil || !strings.Contains(err.Error(), "before any request was held") {
		t.Errorf("process that ends first: err = %v", err)
	}

	start := time.Now()
	_, err = KillAtHold(exec.Command("sleep", "60"), make(chan string), 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "no request was held") || time.Since(start) > 10*time.Second {
		t.Errorf("nothing held: err = %v after %v", err, time.Since(start))
	}
}
