package checks

import (
	"fmt"
	"path"
	"strings"
)

// Finding statuses. A blocking finding fails its rule; the others are
// reported in Result.Findings and do not.
const (
	// StatusBlocking: in the app's own files, in the image outside the app
	// directory, or in a dependency's shipped code.
	StatusBlocking = "blocking"
	// StatusWarning: inside a third-party package under node_modules, in
	// its test, fixture, example, docs or benchmark files.
	StatusWarning = "warning"
	// StatusAccepted: listed in the AcceptFile; Reason says why.
	StatusAccepted = "accepted"
	// StatusStale: an AcceptFile entry that matches no finding (remove it).
	StatusStale = "stale"
)

// Finding is one file a rule found something in.
type Finding struct {
	Rule string `json:"rule"`
	// Path is the image path, e.g. "/app/node_modules/x/test/key.pem".
	Path string `json:"path"`
	// What was found, never the secret itself, e.g. "private key".
	What string `json:"what"`
	// Layer is the index of the layer it is in (-1 for a stale entry).
	Layer  int    `json:"layer"`
	Status string `json:"status"`
	// Reason is the AcceptFile's reason (accepted and stale findings).
	Reason string `json:"reason,omitempty"`
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s %s %s: %s", f.Status, f.Rule, f.Path, f.What)
	if f.Reason != "" {
		s += fmt.Sprintf(" (reason: %s)", f.Reason)
	}
	return s
}

// dependencyDataDirs are the directory names inside a package that hold
// data the package does not run: a key there is a test certificate. Its
// documents (isDocument) count as such data too.
var dependencyDataDirs = map[string]bool{
	"test": true, "tests": true, "__tests__": true, "testing": true, "testdata": true, "test-data": true,
	"fixture": true, "fixtures": true, "__fixtures__": true, "spec": true, "specs": true, "__mocks__": true,
	"example": true, "examples": true, "demo": true, "demos": true, "sample": true, "samples": true,
	"doc": true, "docs": true, "benchmark": true, "benchmarks": true, "bench": true,
}

// dependencyFile reports whether p (an image path without leading "/") is
// inside a third-party package under <appDir>/node_modules, the innermost
// such package ("node_modules/a/node_modules/@s/b"), and whether a
// directory on the way below the first package is a dependencyDataDirs
// name (package names themselves do not count: a package may be called
// "test").
func dependencyFile(p, appDir string) (pkg string, data, ok bool) {
	rel := p
	if appDir != "." {
		if !strings.HasPrefix(p, appDir+"/") {
			return "", false, false
		}
		rel = strings.TrimPrefix(p, appDir+"/")
	}
	segs := strings.Split(rel, "/")
	if segs[0] != "node_modules" {
		return "", false, false
	}
	end := -1 // index of the last segment of the innermost package name
	for i := 0; i < len(segs)-1; i++ {
		if segs[i] == "node_modules" {
			name := i + 1
			if strings.HasPrefix(segs[i+1], "@") {
				name = i + 2
			}
			if !strings.HasPrefix(segs[i+1], ".") && name < len(segs)-1 {
				end = name
				i = name
			}
			continue
		}
		if end >= 0 && dependencyDataDirs[strings.ToLower(segs[i])] {
			data = true
		}
	}
	if end < 0 {
		return "", false, false
	}
	if isDocument(segs[len(segs)-1]) {
		data = true
	}
	return strings.Join(segs[:end+1], "/"), data, true
}

// documentExts are files a package ships to be read, not run: a key in a
// README is an example (dotenv's README has one).
var documentExts = map[string]bool{".md": true, ".markdown": true, ".mdx": true, ".txt": true, ".rst": true, ".adoc": true, ".html": true}

// isDocument reports whether a file name is documentation: by extension,
// or README/CHANGELOG/HISTORY without one.
func isDocument(name string) bool {
	lower := strings.ToLower(name)
	if documentExts[path.Ext(lower)] {
		return true
	}
	for _, p := range []string{"readme", "changelog", "history", "changes"} {
		if lower == p {
			return true
		}
	}
	return false
}

// classify is a file finding's status before the AcceptFile is applied.
func classify(p, appDir string) string {
	if _, data, ok := dependencyFile(p, appDir); ok && data {
		return StatusWarning
	}
	return StatusBlocking
}

// where says whose file a blocking finding is in, and how to fix it.
func where(p, appDir string) string {
	if pkg, _, ok := dependencyFile(p, appDir); ok {
		return fmt.Sprintf("in dependency %s, in files it ships: check the package; if it is not a secret, accept it in %s with a reason", pkg, AcceptFile)
	}
	if under(p, appDir) {
		return fmt.Sprintf("in the app's own files: remove it or exclude it in .dockerignore; if it must ship, accept it in %s with a reason", AcceptFile)
	}
	return "in the image outside the app directory"
}

// countStatuses summarizes non-blocking findings: "2 warnings, 1 accepted".
func countStatuses(fs []Finding) string {
	n := map[string]int{}
	for _, f := range fs {
		n[f.Status]++
	}
	var parts []string
	for _, st := range []string{StatusWarning, StatusAccepted, StatusStale} {
		switch {
		case n[st] == 1:
			parts = append(parts, "1 "+st)
		case n[st] > 1 && st == StatusWarning:
			parts = append(parts, fmt.Sprintf("%d warnings", n[st]))
		case n[st] > 1:
			parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
		}
	}
	return strings.Join(parts, ", ")
}
