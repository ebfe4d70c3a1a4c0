package publish

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
)

// DefaultTagPrefix is the tag prefix used when Options.TagPrefix is nil.
const DefaultTagPrefix = "v"

// LatestTag is the floating tag that follows the highest release overall.
const LatestTag = "latest"

// ParseVersion parses a release version: a strict semver version with one
// optional leading "v". Build metadata ("+...") is refused (see the package
// documentation). Errors show a valid example.
func ParseVersion(version string) (*semver.Version, error) {
	s := strings.TrimPrefix(strings.TrimSpace(version), "v")
	v, err := semver.StrictNewVersion(s)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v; want e.g. 1.4.0 or v1.4.0 (prerelease: 1.4.0-rc.1)", ErrInvalidVersion, version, err)
	}
	if v.Metadata() != "" {
		return nil, fmt.Errorf("%w %q: build metadata %q is not allowed (image tags cannot contain '+', and 1.4.0+a and 1.4.0+b would be one version); want e.g. 1.4.0 or v1.4.0",
			ErrInvalidVersion, version, "+"+v.Metadata())
	}
	return v, nil
}

// Tags returns the tags of a release: its version tag (prefix + version) and
// the floating tags it is a candidate for, most specific first
// (1.2.3 -> "v1.2.3", ["v1.2", "v1", "latest"]). A prerelease has no
// floating tags. Whether a floating tag actually moves depends on the other
// releases in the registry; see Publish. The prefix is used verbatim
// (DefaultTagPrefix is "v"; "" gives 1.2.3, 1.2, 1, latest).
func Tags(version string, prefix string) (versionTag string, floating []string, err error) {
	if err := checkPrefix(prefix); err != nil {
		return "", nil, err
	}
	v, err := ParseVersion(version)
	if err != nil {
		return "", nil, err
	}
	return tagsOf(v, prefix)
}

// tagsOf is Tags of a parsed version (a checked prefix).
func tagsOf(v *semver.Version, prefix string) (versionTag string, floating []string, err error) {
	if v.Metadata() != "" {
		return "", nil, fmt.Errorf("%w %q: build metadata is not allowed; want e.g. 1.4.0 or v1.4.0", ErrInvalidVersion, v.Original())
	}
	versionTag = prefix + v.String()
	if _, err := name.NewTag("example.com/x:"+versionTag, name.StrictValidation); err != nil {
		return "", nil, fmt.Errorf("%w %q: tag %q is not a valid image tag: %w", ErrInvalidVersion, v.Original(), versionTag, err)
	}
	if v.Prerelease() != "" {
		return versionTag, nil, nil
	}
	return versionTag, floatingTags(v, prefix), nil
}

// floatingTags returns the floating tags of v's lines, most specific first.
func floatingTags(v *semver.Version, prefix string) []string {
	return []string{
		fmt.Sprintf("%s%d.%d", prefix, v.Major(), v.Minor()),
		fmt.Sprintf("%s%d", prefix, v.Major()),
		LatestTag,
	}
}

// inLine reports whether release v belongs to the line of floating tag ft
// (prefix already known): v1.2 holds 1.2.x, v1 holds 1.x.y, latest holds all.
// Prereleases belong to no line.
func inLine(ft, prefix string, v *semver.Version) bool {
	if v.Prerelease() != "" {
		return false
	}
	if ft == LatestTag {
		return true
	}
	for _, t := range floatingTags(v, prefix)[:2] {
		if t == ft {
			return true
		}
	}
	return false
}

// checkPrefix validates a tag prefix: tag characters only, and no '_',
// which is reserved for record tags.
func checkPrefix(prefix string) error {
	if strings.Contains(prefix, "_") {
		return fmt.Errorf("tag prefix %q: '_' is reserved for release record tags; want e.g. \"v\" or \"\"", prefix)
	}
	if prefix != "" {
		if _, err := name.NewTag("example.com/x:"+prefix+"1.0.0", name.StrictValidation); err != nil {
			return fmt.Errorf("tag prefix %q: %w; want e.g. \"v\" or \"\"", prefix, err)
		}
	}
	return nil
}

// versionFromTag returns the release version a tag names under prefix, or
// nil when the tag is not prefix + canonical strict semver (floating tags,
// record tags, "latest" and foreign tags are all ignored this way).
func versionFromTag(tag, prefix string) *semver.Version {
	s, ok := strings.CutPrefix(tag, prefix)
	if !ok || strings.ContainsAny(s, "+_") {
		return nil
	}
	v, err := semver.StrictNewVersion(s)
	if err != nil || v.String() != s {
		return nil
	}
	return v
}

// tagVersion is a version tag found in the registry.
type tagVersion struct {
	Tag     string
	Version *semver.Version
}

// versionTags picks the version tags out of a tag list, highest first.
func versionTags(tags []string, prefix string) []tagVersion {
	var out []tagVersion
	for _, t := range tags {
		if v := versionFromTag(t, prefix); v != nil {
			out = append(out, tagVersion{Tag: t, Version: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version.GreaterThan(out[j].Version) })
	return out
}

var floatingRE = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?$`)

// isFloating reports whether tag is a floating tag under prefix
// ("latest", prefix+"1", prefix+"1.2").
func isFloating(tag, prefix string) bool {
	if tag == LatestTag {
		return true
	}
	s, ok := strings.CutPrefix(tag, prefix)
	return ok && floatingRE.MatchString(s)
}

// highestInLine returns the highest release among versions that belongs to
// the line of floating tag ft, or nil.
func highestInLine(ft, prefix string, versions []*semver.Version) *semver.Version {
	var best *semver.Version
	for _, v := range versions {
		if inLine(ft, prefix, v) && (best == nil || v.GreaterThan(best)) {
			best = v
		}
	}
	return best
}

// decideFloating applies "floating tags never move backwards": for release
// v, given every released version (v included or not), it returns the
// floating tags v takes (most specific first) and, for the others, the
// higher release that keeps them. Prereleases take none and never keep one.
func decideFloating(v *semver.Version, prefix string, released []*semver.Version) (move []string, keptBy map[string]*semver.Version) {
	if v.Prerelease() != "" {
		return nil, nil
	}
	keptBy = map[string]*semver.Version{}
	for _, ft := range floatingTags(v, prefix) {
		if top := highestInLine(ft, prefix, released); top != nil && top.GreaterThan(v) {
			keptBy[ft] = top
		} else {
			move = append(move, ft)
		}
	}
	return move, keptBy
}

const (
	releaseRecordSuffix = "_release"
	rollbackTagPrefix   = "rollback_"
)

// releaseRecordTag is the tag of the release record of versionTag.
func releaseRecordTag(versionTag string) string { return versionTag + releaseRecordSuffix }

// rollbackRecordTag is the tag of the n-th rollback record.
func rollbackRecordTag(n int) string { return fmt.Sprintf("%s%04d", rollbackTagPrefix, n) }

// rollbackNumber returns n for a rollback record tag, or 0.
func rollbackNumber(tag string) int {
	s, ok := strings.CutPrefix(tag, rollbackTagPrefix)
	if !ok {
		return 0
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || rollbackRecordTag(n) != tag {
		return 0
	}
	return n
}
