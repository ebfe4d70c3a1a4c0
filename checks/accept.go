package checks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// AcceptFile is the file, at the root of an app's repository, where a team
// accepts specific findings with a reason. It never reaches the image.
//
//	accept:
//	  - rule: no-secrets
//	    path: node_modules/some-sdk/lib/sample.pem
//	    reason: public sample certificate the SDK ships, not a secret
const AcceptFile = ".immutable-accept.yaml"

// AcceptableRules are the rules whose findings can be accepted. The other
// rules (non-root, dev dependencies, labels, npm cache) describe the image
// as a whole and cannot be waived.
var AcceptableRules = []string{RuleNoSecrets}

// Acceptance accepts one finding: the finding of Rule at Path, for Reason.
type Acceptance struct {
	// Rule is the rule that reported the finding, e.g. "no-secrets".
	Rule string `yaml:"rule" json:"rule"`
	// Path is the file the finding is in: relative to the app directory
	// ("node_modules/x/test/key.pem") or an absolute image path
	// ("/etc/ssl/private/x.pem"). It names one file exactly; there are no
	// wildcards.
	Path string `yaml:"path" json:"path"`
	// Reason says why the finding is acceptable. It is required.
	Reason string `yaml:"reason" json:"reason"`
}

// ParseAccept parses an AcceptFile. Every entry needs a rule that can be
// accepted, a path without wildcards and a reason; the error names each
// entry that has not. An empty file accepts nothing.
func ParseAccept(b []byte) ([]Acceptance, error) {
	var doc struct {
		Accept []Acceptance `yaml:"accept"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w (want `accept:` followed by a list of {rule, path, reason})", AcceptFile, err)
	}
	var errs []error
	seen := map[string]bool{}
	for i, a := range doc.Accept {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: accept[%d] (rule %q, path %q): %s", AcceptFile, i, a.Rule, a.Path, fmt.Sprintf(format, args...)))
		}
		switch {
		case !acceptable(a.Rule):
			bad("rule must be one of %s: the others cannot be accepted", strings.Join(AcceptableRules, ", "))
		case strings.TrimSpace(a.Path) == "":
			bad("path is required: the file the finding is in, e.g. node_modules/pkg/test/key.pem")
		case strings.ContainsAny(a.Path, "*?["):
			bad("path must name one file, without wildcards")
		case strings.TrimSpace(a.Reason) == "":
			bad("reason is required: say why this finding is acceptable")
		case seen[a.Rule+"\x00"+a.Path]:
			bad("listed twice")
		}
		seen[a.Rule+"\x00"+a.Path] = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return doc.Accept, nil
}

func acceptable(rule string) bool {
	for _, r := range AcceptableRules {
		if r == rule {
			return true
		}
	}
	return false
}

// imagePath is where a's path is in the image, without leading "/".
func (a Acceptance) imagePath(appDir string) string {
	if strings.HasPrefix(a.Path, "/") {
		return cleanName(a.Path)
	}
	return cleanName(path.Join(appDir, a.Path))
}
