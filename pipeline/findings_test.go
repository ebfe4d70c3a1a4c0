package pipeline

import (
	"slices"
	"strings"
	"testing"

	"dagger/immutable/checks"
)

func TestFindingsReport(t *testing.T) {
	fs := []checks.Finding{
		{Rule: checks.RuleNoSecrets, Path: "/app/node_modules/x/test/k.pem", What: "private key", Status: checks.StatusWarning},
		{Rule: checks.RuleNoSecrets, Path: "/app/certs/dev.key", What: "private key", Status: checks.StatusAccepted, Reason: "demo key"},
		{Rule: checks.RuleNoSecrets, Path: "/app/old.pem", What: "not found", Status: checks.StatusStale, Reason: "old"},
	}
	if got := findingsSummary(fs); got != "1 warning, 1 accepted, 1 stale" {
		t.Errorf("findingsSummary() = %q", got)
	}
	if got := findingsSummary(nil); got != "" {
		t.Errorf("findingsSummary(nil) = %q, want empty", got)
	}
	rec := recordFindings(fs)
	if len(rec) != 3 || rec[1].Status != "accepted" || rec[1].Reason != "demo key" || rec[0].Path != fs[0].Path {
		t.Errorf("recordFindings() = %+v", rec)
	}
	if recordFindings(nil) != nil {
		t.Error("recordFindings(nil) is not nil: the record would carry an empty list")
	}
	var b strings.Builder
	(&TestReport{Jobs: []JobResult{{Name: "checks", Status: Passed}}, Findings: fs}).Format(&b)
	for _, want := range []string{
		"warning  no-secrets /app/node_modules/x/test/k.pem: private key\n",
		"accepted no-secrets /app/certs/dev.key: private key (reason: demo key)\n",
		"accept one in .immutable-accept.yaml with a reason",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("TestReport.Format() does not contain %q:\n%s", want, b.String())
		}
	}
}

func TestAcceptFileNeverShips(t *testing.T) {
	ex := layerExcludes("!" + checks.AcceptFile + "\n!.npmrc\n")
	for _, p := range []string{checks.AcceptFile, ".npmrc"} {
		last := -1
		for i, q := range ex {
			if q == p {
				last = i
			}
		}
		if neg := slices.Index(ex, "!"+p); neg < 0 || last < neg {
			t.Errorf("layerExcludes() = %v: %s is not excluded after .dockerignore's !%s", ex, p, p)
		}
	}
}
