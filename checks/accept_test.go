package checks

import (
	"strings"
	"testing"
)

func TestParseAccept(t *testing.T) {
	good := `# looked at on 2026-12-01
accept:
  - rule: no-secrets
    path: node_modules/some-sdk/lib/sample.pem
    reason: public sample certificate the SDK ships
  - rule: no-secrets
    path: /etc/ssl/private/snakeoil.pem
    reason: the base's self-signed certificate
`
	got, err := ParseAccept([]byte(good))
	if err != nil {
		t.Fatalf("ParseAccept(good) error = %v", err)
	}
	if len(got) != 2 || got[0].Path != "node_modules/some-sdk/lib/sample.pem" || got[1].Reason != "the base's self-signed certificate" {
		t.Errorf("ParseAccept(good) = %+v", got)
	}
	if p := got[0].imagePath("app"); p != "app/node_modules/some-sdk/lib/sample.pem" {
		t.Errorf("imagePath(relative) = %q", p)
	}
	if p := got[1].imagePath("app"); p != "etc/ssl/private/snakeoil.pem" {
		t.Errorf("imagePath(absolute) = %q", p)
	}
	if got, err := ParseAccept(nil); err != nil || len(got) != 0 {
		t.Errorf("ParseAccept(empty) = %v, %v; want nothing accepted", got, err)
	}

	for _, tc := range []struct{ name, doc, want string }{
		{"no reason", "accept:\n  - rule: no-secrets\n    path: a.pem\n", "accept[0] (rule \"no-secrets\", path \"a.pem\"): reason is required"},
		{"blank reason", "accept:\n  - {rule: no-secrets, path: a.pem, reason: '  '}\n", "reason is required"},
		{"no path", "accept:\n  - {rule: no-secrets, reason: x}\n", "path is required"},
		{"wildcard is an off switch", "accept:\n  - {rule: no-secrets, path: 'node_modules/*', reason: x}\n", "without wildcards"},
		{"rule that cannot be accepted", "accept:\n  - {rule: non-root, path: x, reason: x}\n", "rule must be one of no-secrets"},
		{"unknown rule", "accept:\n  - {rule: secrets, path: x, reason: x}\n", "rule must be one of"},
		{"typo in a key", "accept:\n  - {rule: no-secrets, path: x, reasons: x}\n", "field reasons not found"},
		{"not a list", "accept: yes\n", "want `accept:` followed by a list"},
		{"twice", "accept:\n  - {rule: no-secrets, path: x, reason: x}\n  - {rule: no-secrets, path: x, reason: y}\n", "accept[1] (rule \"no-secrets\", path \"x\"): listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAccept([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), AcceptFile) {
				t.Errorf("ParseAccept() error = %v, want it to name %s and contain %q", err, AcceptFile, tc.want)
			}
		})
	}
}
