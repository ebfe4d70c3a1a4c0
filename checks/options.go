package checks

import "path"

// Rule names, as reported in Result.Name.
const (
	RuleNonRoot           = "non-root"
	RuleNoDevDependencies = "no-dev-dependencies"
	RuleNoSecrets         = "no-secrets"
	RuleLabels            = "labels"
	RuleNoNPMCache        = "no-npm-cache"
)

// DefaultAppDir is the application directory when Options.AppDir is empty.
const DefaultAppDir = "/app"

// DefaultMaxScanBytes is how much of each file under AppDir is searched for
// secrets when Options.MaxScanBytes is 0: 1 MiB.
const DefaultMaxScanBytes = 1 << 20

// RequiredLabels must be set (non-empty) on every image.
var RequiredLabels = []string{
	"org.opencontainers.image.version",
	"org.opencontainers.image.revision",
	"org.opencontainers.image.source",
	"org.opencontainers.image.created",
	"org.opencontainers.image.base.name",
	"org.opencontainers.image.base.digest",
}

// Options configures Run. The zero value checks an app in /app with no
// dev dependencies named and no expected base digest or version.
type Options struct {
	// DevDependencies must not be installed. Each is a package name from
	// package.json's devDependencies ("jest", "@types/node"), checked as
	// <AppDir>/node_modules/<name>, or a package-lock.json path
	// ("node_modules/a/node_modules/b"), checked as <AppDir>/<path>. Pass
	// DevOnlyPackages(package-lock.json) rather than package.json's names
	// when a dev dependency may also be a transitive production one.
	DevDependencies []string
	// AppDir is the application directory. The default is DefaultAppDir.
	AppDir string
	// BaseDigest is the pinned base image digest ("sha256:..." or
	// "repo@sha256:..."); the base.digest label must equal it. Empty: the
	// label only has to be present.
	BaseDigest string
	// Version the version label must equal. Empty: only present.
	Version string
	// MaxScanBytes bounds the secret content scan per file. The default is
	// DefaultMaxScanBytes.
	MaxScanBytes int64
	// Allow lists paths exempt from the no-secrets and no-npm-cache file
	// checks, for known false positives: a pattern with "/" matches a path
	// (and everything below it), one without matches a base name, as in
	// path.Match ("/app/node_modules/some-pkg/test/fixtures").
	Allow []string
	// Accept are the findings a team accepted with a reason (ParseAccept
	// reads them from the app's AcceptFile). An accepted finding does not
	// block and is reported with its reason; an entry that matches no
	// finding is reported as stale. The default accepts nothing.
	Accept []Acceptance
}

func (o Options) withDefaults() Options {
	if o.AppDir == "" {
		o.AppDir = DefaultAppDir
	}
	o.AppDir = cleanName(o.AppDir)
	if o.MaxScanBytes <= 0 {
		o.MaxScanBytes = DefaultMaxScanBytes
	}
	return o
}

// cleanName returns an image path without leading "/" or "./" and without
// trailing "/"; "." is the root.
func cleanName(name string) string {
	p := path.Clean("/" + name)
	if p == "/" {
		return "."
	}
	return p[1:]
}

// under reports whether p is dir or below it.
func under(p, dir string) bool {
	return dir == "." || p == dir || len(p) > len(dir) && p[:len(dir)] == dir && p[len(dir)] == '/'
}

// matchPath returns the first of p and its ancestors that matches pattern
// (whole path if pattern has "/", base name otherwise), or "".
func matchPath(pattern, p string) string {
	whole := false
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '/' {
			whole = true
			break
		}
	}
	pattern = cleanName(pattern)
	var found string
	for q := p; q != "." && q != ""; q = path.Dir(q) {
		subject := q
		if !whole {
			subject = path.Base(q)
		}
		if ok, _ := path.Match(pattern, subject); ok {
			found = q
		}
	}
	return found
}

func matchAny(patterns []string, p string) bool {
	for _, pat := range patterns {
		if matchPath(pat, p) != "" {
			return true
		}
	}
	return false
}
