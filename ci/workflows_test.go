package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"
)

// moduleArg is one argument of a module function, as the CLI spells it.
type moduleArg struct {
	isBool, optional bool
}

// moduleFunctions reads ../main.go: function name -> flag -> arg. The
// constructor is "". The fields of the Release object (../output.go) that
// release returns are functions without arguments (`release ... digest`).
func moduleFunctions(t *testing.T) map[string]map[string]moduleArg {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join("..", "main.go"), nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	fns := map[string]map[string]moduleArg{}
	out, err := parser.ParseFile(fset, filepath.Join("..", "output.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(out, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok && ts.Name.Name == "Release" {
			for _, fl := range ts.Type.(*ast.StructType).Fields.List {
				for _, n := range fl.Names {
					fns[kebab(n.Name)] = map[string]moduleArg{}
				}
			}
		}
		return true
	})
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || !fd.Name.IsExported() {
			continue
		}
		name := kebab(fd.Name.Name)
		if fd.Recv == nil {
			if fd.Name.Name != "New" {
				continue
			}
			name = ""
		}
		args := map[string]moduleArg{}
		for _, p := range fd.Type.Params.List {
			typ := exprString(p.Type)
			if typ == "context.Context" {
				continue
			}
			doc := fieldDoc(fset, f, p)
			for _, n := range p.Names {
				args[kebab(n.Name)] = moduleArg{isBool: typ == "bool", optional: strings.Contains(doc, "+optional") || strings.Contains(doc, "+defaultPath")}
			}
		}
		fns[name] = args
	}
	return fns
}

// fieldDoc returns the comments directly above a parameter.
func fieldDoc(fset *token.FileSet, f *ast.File, p *ast.Field) string {
	line := fset.Position(p.Pos()).Line
	var doc []string
	for _, cg := range f.Comments {
		end := fset.Position(cg.End()).Line
		if end == line-1 {
			doc = append(doc, cg.Text())
		}
	}
	return strings.Join(doc, "\n")
}

func exprString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return exprString(x.X) + "." + x.Sel.Name
	case *ast.StarExpr:
		return "*" + exprString(x.X)
	}
	return ""
}

func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

type workflow struct {
	Jobs map[string]struct {
		Steps []struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var expr = regexp.MustCompile(`\$\{\{[^}]*\}\}`)

// TestWorkflowsCallModule: every workflow parses, pins Dagger v0.21.8, and
// each `dagger call` chains functions of the module with flags they accept,
// including all their required ones.
func TestWorkflowsCallModule(t *testing.T) {
	fns := moduleFunctions(t)
	for _, want := range []string{"build", "test", "verify", "with-registry", "release", "releases", "rollback", "digest", "summary"} {
		if _, ok := fns[want]; !ok {
			t.Fatalf("main.go has no function %s (found %v)", want, fns)
		}
	}
	files, err := filepath.Glob(filepath.Join("..", ".github", "workflows", "*.yml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("workflows: %v %v", files, err)
	}
	calls := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var wf workflow
		if err := yaml.Unmarshal(b, &wf); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for job, j := range wf.Jobs {
			for i, s := range j.Steps {
				if !strings.HasPrefix(s.Uses, "dagger/dagger-for-github@") {
					continue
				}
				where := filepath.Base(file) + " " + job + " step " + string(rune('0'+i))
				if s.With["version"] != "0.21.8" {
					t.Errorf("%s: Dagger version %q, want 0.21.8", where, s.With["version"])
				}
				if s.With["verb"] != "call" {
					t.Errorf("%s: verb %q, want call", where, s.With["verb"])
					continue
				}
				calls++
				if err := checkCall(fns, expr.ReplaceAllString(s.With["args"], "X")); err != "" {
					t.Errorf("%s: %s", where, err)
				}
			}
		}
	}
	if calls < 3 {
		t.Errorf("found %d dagger calls in the workflows, want at least 3 (test, verify, release)", calls)
	}
}

// checkCall validates "[ctor flags] fn [fn flags] [fn [fn flags]]..."
// (a chain, e.g. with-registry … release … digest) against the module.
func checkCall(fns map[string]map[string]moduleArg, args string) string {
	tokens := strings.Fields(args)
	chain := []string{""}
	given := map[string]bool{}
	for i := 0; i < len(tokens); i++ {
		tok := tokens[i]
		fn := chain[len(chain)-1]
		if !strings.HasPrefix(tok, "--") {
			if _, ok := fns[tok]; !ok || tok == "" {
				return "no module function " + tok
			}
			chain = append(chain, tok)
			continue
		}
		flag, _, hasValue := strings.Cut(strings.TrimPrefix(tok, "--"), "=")
		arg, ok := fns[fn][flag]
		if !ok {
			return "function " + fn + " has no argument --" + flag
		}
		given[fn+"/"+flag] = true
		if !arg.isBool && !hasValue {
			i++
		}
	}
	if len(chain) == 1 {
		return "no function called"
	}
	for _, fn := range chain {
		for flag, arg := range fns[fn] {
			if !arg.optional && !given[fn+"/"+flag] {
				return "function " + fn + " is missing required --" + flag
			}
		}
	}
	return ""
}

func TestCheckCallCatchesMistakes(t *testing.T) {
	fns := map[string]map[string]moduleArg{
		"":              {"source": {optional: true}},
		"with-registry": {"address": {optional: true}},
		"release":       {"version": {}, "json": {isBool: true, optional: true}},
		"digest":        {},
	}
	for args, want := range map[string]string{
		"--source X release --version 1 --json":                "",
		"with-registry --address A release --version 1 digest": "",
		"release":                                                 "missing required --version",
		"with-registry release digest":                            "missing required --version",
		"relase --version 1":                                      "no module function relase",
		"release --version 1 --nope 2":                            "has no argument --nope",
		"release --version 1 digest --version 2":                  "function digest has no argument --version",
		"with-registry --address A release --version 1 --address": "function release has no argument --address",
	} {
		if got := checkCall(fns, args); !strings.Contains(got, want) || (want == "" && got != "") {
			t.Errorf("checkCall(%q) = %q, want %q", args, got, want)
		}
	}
}

// TestReleaseWorkflowSerialized: release.yml queues releases in one
// concurrency group and never cancels one half-way, since the publish lock
// only serializes publishers on one host.
func TestReleaseWorkflowSerialized(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress *bool  `yaml:"cancel-in-progress"`
		} `yaml:"concurrency"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	if wf.Concurrency.Group == "" || wf.Concurrency.CancelInProgress == nil || *wf.Concurrency.CancelInProgress {
		t.Errorf("release.yml concurrency = %+v; want a group with cancel-in-progress: false", wf.Concurrency)
	}
}
