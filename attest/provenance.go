package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// In-toto and SLSA identifiers.
const (
	// StatementType is the in-toto Statement v1 _type.
	StatementType = "https://in-toto.io/Statement/v1"
	// SLSAPredicateType is SLSA provenance v1 (cosign's --type slsaprovenance1).
	SLSAPredicateType = "https://slsa.dev/provenance/v1"
	// BuildType says how to read externalParameters and resolvedDependencies.
	BuildType = "https://immutable.dev/buildtypes/node-image/v1"
	// DefaultBuilderID is runDetails.builder.id when Inputs.BuilderID is "".
	DefaultBuilderID = "https://immutable.dev/builder/pipeline"
)

// Names of resolvedDependencies entries.
const (
	DepSource         = "source"
	DepRuntimeBase    = "runtime-base"
	DepBuilderBase    = "builder-base"
	DepLockfile       = "lockfile"
	DepNode           = "node"
	DepPackageManager = "package-manager"
	DepDagger         = "dagger-engine"
	DepImmutable      = "immutable"
)

// Gate is one release gate's result as provenance records it: no duration
// or message, so the same release gives the same statement.
type Gate struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Skipped bool   `json:"skipped,omitempty"`
}

// Inputs are the facts of a release that its provenance states.
type Inputs struct {
	// Repo and Digest name the image (the statement's subject).
	Repo, Digest string
	// Version is the released version, e.g. "1.2.3".
	Version string
	// SourceURL and Revision identify the source (e.g. a git URL and
	// commit); either may be "".
	SourceURL, Revision string
	// SourceDateEpoch is the SOURCE_DATE_EPOCH of the build.
	SourceDateEpoch int64
	// RuntimeBase and BuilderBase are the bases, repo@sha256:….
	RuntimeBase, BuilderBase string
	// LockfileName is the lockfile's file name, Lockfile its bytes.
	LockfileName string
	Lockfile     []byte
	// NodeVersion is the bases' Node.js version, e.g. "v24.21.0".
	NodeVersion string
	// PackageManager and PackageManagerVersion name the install tool,
	// e.g. "npm" "11.21.2".
	PackageManager, PackageManagerVersion string
	// DaggerVersion is the engine's version, e.g. "v0.21.8".
	DaggerVersion string
	// BuilderVersion is this project's own version; "" reads it from the
	// running binary (see ToolVersion).
	BuilderVersion string
	// BuilderID is runDetails.builder.id; "" means DefaultBuilderID.
	BuilderID string
	// Gates are the release gates in order.
	Gates []Gate
}

// Statement is an in-toto Statement v1 whose predicate is SLSA
// provenance v1.
type Statement struct {
	Type          string         `json:"_type"`
	Subject       []Subject      `json:"subject"`
	PredicateType string         `json:"predicateType"`
	Predicate     SLSAProvenance `json:"predicate"`
}

// Subject is an in-toto subject: a name and its digests.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// SLSAProvenance is the SLSA provenance v1 predicate.
type SLSAProvenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition is what was built and from what.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   ExternalParameters   `json:"externalParameters"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
}

// ExternalParameters are the inputs the release was asked for.
type ExternalParameters struct {
	Version         string `json:"version"`
	Repository      string `json:"repository"`
	Source          Source `json:"source"`
	SourceDateEpoch int64  `json:"sourceDateEpoch"`
}

// Source is where the app's source came from.
type Source struct {
	URI      string `json:"uri,omitempty"`
	Revision string `json:"revision,omitempty"`
}

// RunDetails says who built it; its byproducts are the gate results.
type RunDetails struct {
	Builder    Builder              `json:"builder"`
	Byproducts []ResourceDescriptor `json:"byproducts,omitempty"`
}

// Builder identifies the build platform.
type Builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// ResourceDescriptor is an in-toto resource descriptor.
type ResourceDescriptor struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
}

// gatePrefix names gate byproducts: "gate:unit".
const gatePrefix = "gate:"

// NewProvenance returns the SLSA provenance statement of a release. It
// reads no clock: the same inputs give the same statement.
func NewProvenance(in Inputs) (*Statement, error) {
	h, err := v1.NewHash(in.Digest)
	if err != nil {
		return nil, fmt.Errorf("provenance: image digest %q: %w", in.Digest, err)
	}
	if in.BuilderVersion == "" {
		in.BuilderVersion = ToolVersion()
	}
	if in.BuilderID == "" {
		in.BuilderID = DefaultBuilderID
	}
	var deps []ResourceDescriptor
	if in.SourceURL != "" || in.Revision != "" {
		d := ResourceDescriptor{Name: DepSource, URI: in.SourceURL}
		if in.Revision != "" {
			d.Digest = map[string]string{"gitCommit": in.Revision}
		}
		deps = append(deps, d)
	}
	for _, b := range []struct{ name, ref string }{{DepRuntimeBase, in.RuntimeBase}, {DepBuilderBase, in.BuilderBase}} {
		if b.ref == "" {
			continue
		}
		d := ResourceDescriptor{Name: b.name, URI: "oci://" + b.ref}
		if _, dg, ok := strings.Cut(b.ref, "@"); ok {
			if bh, err := v1.NewHash(dg); err == nil {
				d.Digest = map[string]string{bh.Algorithm: bh.Hex}
			}
		}
		deps = append(deps, d)
	}
	if in.Lockfile != nil {
		sum := sha256.Sum256(in.Lockfile)
		deps = append(deps, ResourceDescriptor{Name: DepLockfile, URI: in.LockfileName, Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}})
	}
	for _, t := range []struct{ name, uri string }{
		{DepNode, purl("generic/node", strings.TrimPrefix(in.NodeVersion, "v"))},
		{DepPackageManager, purl("npm/"+in.PackageManager, in.PackageManagerVersion)},
		{DepDagger, purl("golang/dagger.io/dagger", in.DaggerVersion)},
		{DepImmutable, purl("golang/dagger/immutable", in.BuilderVersion)},
	} {
		if t.uri != "" {
			deps = append(deps, ResourceDescriptor{Name: t.name, URI: t.uri})
		}
	}
	var gates []ResourceDescriptor
	for _, g := range in.Gates {
		result := "passed"
		switch {
		case g.Skipped:
			result = "skipped"
		case !g.Passed:
			result = "failed"
		}
		gates = append(gates, ResourceDescriptor{Name: gatePrefix + g.Name, Annotations: map[string]any{"result": result}})
	}
	version := map[string]string{DepImmutable: in.BuilderVersion}
	if in.DaggerVersion != "" {
		version[DepDagger] = in.DaggerVersion
	}
	return &Statement{
		Type:          StatementType,
		Subject:       []Subject{{Name: in.Repo, Digest: map[string]string{h.Algorithm: h.Hex}}},
		PredicateType: SLSAPredicateType,
		Predicate: SLSAProvenance{
			BuildDefinition: BuildDefinition{
				BuildType: BuildType,
				ExternalParameters: ExternalParameters{
					Version: in.Version, Repository: in.Repo,
					Source:          Source{URI: in.SourceURL, Revision: in.Revision},
					SourceDateEpoch: in.SourceDateEpoch,
				},
				ResolvedDependencies: deps,
			},
			RunDetails: RunDetails{Builder: Builder{ID: in.BuilderID, Version: version}, Byproducts: gates},
		},
	}, nil
}

// purl is "pkg:<typ>@<version>", "" when version is "".
func purl(typ, version string) string {
	if version == "" || strings.HasSuffix(typ, "/") {
		return ""
	}
	return "pkg:" + typ + "@" + strings.TrimPrefix(version, "v")
}

// JSON encodes the statement (compact, as signed).
func (s *Statement) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("provenance: encoding: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// ParseStatement decodes an SLSA provenance v1 statement and checks its
// type and predicate type.
func ParseStatement(b []byte) (*Statement, error) {
	var s Statement
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("provenance: decoding statement: %w", err)
	}
	if s.Type != StatementType {
		return nil, fmt.Errorf("provenance: _type is %q, want %q", s.Type, StatementType)
	}
	if s.PredicateType != SLSAPredicateType {
		return nil, fmt.Errorf("provenance: predicateType is %q, want %q", s.PredicateType, SLSAPredicateType)
	}
	return &s, nil
}

// Dependency returns the resolved dependency called name.
func (s *Statement) Dependency(name string) (ResourceDescriptor, bool) {
	for _, d := range s.Predicate.BuildDefinition.ResolvedDependencies {
		if d.Name == name {
			return d, true
		}
	}
	return ResourceDescriptor{}, false
}

// Gates returns the gate results the statement records.
func (s *Statement) Gates() []Gate {
	var out []Gate
	for _, b := range s.Predicate.RunDetails.Byproducts {
		name, ok := strings.CutPrefix(b.Name, gatePrefix)
		if !ok {
			continue
		}
		r, _ := b.Annotations["result"].(string)
		out = append(out, Gate{Name: name, Passed: r != "failed", Skipped: r == "skipped"})
	}
	return out
}

// SubjectDigest returns the subject's "sha256:<hex>" ("" when none).
func (s *Statement) SubjectDigest() string {
	for _, sub := range s.Subject {
		if h := sub.Digest["sha256"]; h != "" {
			return "sha256:" + h
		}
	}
	return ""
}

// ToolVersion is this project's version as the running binary knows it:
// the main module's version, else its VCS revision (+"-dirty"), else
// "devel+" and the digest of the executable (`go run` stamps neither), so
// the provenance still names exactly which program built the image.
func ToolVersion() string {
	devel := "devel"
	if d, err := ExecutableDigest(); err == nil {
		devel += "+" + d
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return devel
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev != "" {
		return rev + dirty
	}
	return devel
}

// ExecutableDigest is the sha256 digest of the running program's
// executable ("sha256:<hex>"), computed once: its own code, its
// dependencies and the Go toolchain that built it.
var ExecutableDigest = sync.OnceValues(func() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("executable digest: %w", err)
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", fmt.Errorf("executable digest: %w", err)
	}
	defer f.Close()
	h, _, err := v1.SHA256(f)
	if err != nil {
		return "", fmt.Errorf("executable digest: %w", err)
	}
	return h.String(), nil
})
