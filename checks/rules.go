package checks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func nonRoot(cf *v1.ConfigFile, s *scan) Result {
	user, _, _ := strings.Cut(cf.Config.User, ":")
	var problems []string
	switch {
	case user == "":
		problems = append(problems, "config User is not set, the container runs as root")
	case user == "root" || user == "0":
		problems = append(problems, fmt.Sprintf("config User is %q", cf.Config.User))
	case isNumber(user):
	default:
		uid, ok := lookupUID(s.passwd, user)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("config User %q is not in /etc/passwd", user))
		case uid == "0":
			problems = append(problems, fmt.Sprintf("config User %q has uid 0 in /etc/passwd", user))
		}
	}
	return result(RuleNonRoot, problems, fmt.Sprintf("runs as user %q", cf.Config.User))
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// lookupUID finds name's uid in an /etc/passwd.
func lookupUID(passwd []byte, name string) (string, bool) {
	for _, line := range strings.Split(string(passwd), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[0] == name {
			return f[2], true
		}
	}
	return "", false
}

func noDevDependencies(s *scan, o Options) Result {
	var problems []string
	for _, d := range o.DevDependencies {
		p := o.AppDir + "/node_modules/" + d
		if strings.HasPrefix(d, "node_modules/") {
			p = o.AppDir + "/" + d
		}
		p = cleanName(p)
		if s.exists(p) {
			problems = append(problems, fmt.Sprintf("dev dependency %s is installed at /%s", d, p))
		}
	}
	if s.hiddenLck != nil {
		dev, err := DevOnlyPackages(s.hiddenLck)
		if err != nil {
			problems = append(problems, fmt.Sprintf("/%s/node_modules/.package-lock.json: %v", o.AppDir, err))
		}
		for _, d := range dev {
			if p := cleanName(o.AppDir + "/" + d); s.exists(p) {
				problems = append(problems, fmt.Sprintf("/%s is a dev-only package (node_modules/.package-lock.json)", p))
			}
		}
	}
	sort.Strings(problems)
	problems = dedupe(problems)
	return result(RuleNoDevDependencies, problems,
		fmt.Sprintf("none of %d dev dependencies installed in /%s", len(o.DevDependencies), o.AppDir))
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// DevOnlyPackages returns the install paths ("node_modules/jest",
// "node_modules/a/node_modules/b") that a package-lock.json (or npm's
// hidden node_modules/.package-lock.json) marks dev-only ("dev": true).
// Packages that are both dev and production dependencies are not marked
// and not returned. lockfileVersion 1 files give "node_modules/<name>" for
// their top-level dev dependencies.
func DevOnlyPackages(lock []byte) ([]string, error) {
	var l struct {
		Packages map[string]struct {
			Dev bool `json:"dev"`
		} `json:"packages"`
		Dependencies map[string]struct {
			Dev bool `json:"dev"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal(lock, &l); err != nil {
		return nil, fmt.Errorf("parsing lockfile: %w", err)
	}
	var out []string
	if l.Packages != nil {
		for p, pkg := range l.Packages {
			if pkg.Dev && strings.HasPrefix(p, "node_modules/") {
				out = append(out, p)
			}
		}
	} else {
		for name, dep := range l.Dependencies {
			if dep.Dev {
				out = append(out, "node_modules/"+name)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

var secretEnvRE = regexp.MustCompile(`(?i)(TOKEN|PASSWORD|PASSWD|SECRET|_AUTH|API_?KEY|PRIVATE_KEY)`)

func noSecrets(cf *v1.ConfigFile, s *scan, o Options) Result {
	var problems []string
	var notes []Finding
	fs := append([]finding(nil), s.secrets...)
	sortFindings(fs)
	accepted := map[string]Acceptance{}
	for _, a := range o.Accept {
		if a.Rule == RuleNoSecrets {
			accepted[a.imagePath(o.AppDir)] = a
		}
	}
	used := map[string]bool{}
	for _, f := range fs {
		what := f.what
		if !s.fs[f.path] {
			what += " (deleted by a later layer, still in the layer blob)"
		}
		nf := Finding{Rule: RuleNoSecrets, Path: "/" + f.path, What: what, Layer: f.layer, Status: classify(f.path, o.AppDir)}
		if a, ok := accepted[f.path]; ok {
			nf.Status, nf.Reason = StatusAccepted, a.Reason
			used[f.path] = true
		}
		if nf.Status == StatusBlocking {
			problems = append(problems, fmt.Sprintf("layer %d: %s: %s, %s", f.layer, nf.Path, what, where(f.path, o.AppDir)))
			continue
		}
		notes = append(notes, nf)
	}
	for _, a := range o.Accept {
		if p := a.imagePath(o.AppDir); a.Rule == RuleNoSecrets && !used[p] {
			notes = append(notes, Finding{Rule: a.Rule, Path: "/" + p, What: "accepted in " + AcceptFile + " but not found: remove the entry", Layer: -1, Status: StatusStale, Reason: a.Reason})
		}
	}
	for _, e := range cf.Config.Env {
		k, v, _ := strings.Cut(e, "=")
		if v != "" && secretEnvRE.MatchString(k) {
			problems = append(problems, fmt.Sprintf("config Env %s is set", k))
		} else if w := contentSecrets([]byte(v)); len(w) > 0 {
			problems = append(problems, fmt.Sprintf("config Env %s holds a %s", k, w[0]))
		}
	}
	keys := make([]string, 0, len(cf.Config.Labels))
	for k := range cf.Config.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if w := contentSecrets([]byte(cf.Config.Labels[k])); len(w) > 0 {
			problems = append(problems, fmt.Sprintf("label %s holds a %s", k, w[0]))
		}
	}
	for i, h := range cf.History {
		if w := contentSecrets([]byte(h.CreatedBy)); len(w) > 0 {
			problems = append(problems, fmt.Sprintf("history[%d].created_by holds a %s", i, w[0]))
		}
	}
	r := result(RuleNoSecrets, problems, "no secrets found in layers, Env, labels or history")
	r.Findings = notes
	if r.Passed && len(notes) > 0 {
		r.Details = fmt.Sprintf("no blocking secrets in layers, Env, labels or history; %s", countStatuses(notes))
	}
	return r
}

func labels(cf *v1.ConfigFile, o Options) Result {
	l := cf.Config.Labels
	var problems []string
	for _, k := range RequiredLabels {
		if l[k] == "" {
			problems = append(problems, fmt.Sprintf("label %s is missing", k))
		}
	}
	if v := l["org.opencontainers.image.created"]; v != "" {
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			problems = append(problems, fmt.Sprintf("label org.opencontainers.image.created %q is not RFC 3339", v))
		}
	}
	if got := l["org.opencontainers.image.base.digest"]; got != "" && o.BaseDigest != "" && digestPart(got) != digestPart(o.BaseDigest) {
		problems = append(problems, fmt.Sprintf("label org.opencontainers.image.base.digest is %s, want pinned %s", got, digestPart(o.BaseDigest)))
	}
	if got := l["org.opencontainers.image.version"]; got != "" && o.Version != "" && got != o.Version {
		problems = append(problems, fmt.Sprintf("label org.opencontainers.image.version is %q, want %q", got, o.Version))
	}
	ok := fmt.Sprintf("%d OCI labels set", len(RequiredLabels))
	if o.BaseDigest != "" {
		ok += ", base digest " + digestPart(o.BaseDigest)
	}
	if o.Version != "" {
		ok += ", version " + o.Version
	}
	return result(RuleLabels, problems, ok)
}

// digestPart returns the digest of "repo@sha256:..." or "sha256:...".
func digestPart(s string) string {
	if _, d, ok := strings.Cut(s, "@"); ok {
		return d
	}
	return s
}

func noNPMCache(s *scan) Result {
	fs := make([]finding, 0, len(s.caches))
	for f, n := range s.caches {
		f.what = fmt.Sprintf("%d entries", n)
		fs = append(fs, f)
	}
	sortFindings(fs)
	problems := make([]string, 0, len(fs))
	for _, f := range fs {
		problems = append(problems, f.String())
	}
	return result(RuleNoNPMCache, problems, "no npm cache or logs in any layer")
}
