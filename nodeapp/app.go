package nodeapp

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"dagger/immutable/lockfile"
)

// Files holds the manifest files of a project, by name. A missing file is
// absent from the map.
type Files map[string][]byte

// App is what the build needs to know about a Node.js project.
type App struct {
	// Name is package.json's name.
	Name string
	// Description is package.json's description, or "".
	Description string
	// License is package.json's license (an SPDX expression such as
	// "MIT"; the legacy {"type": …} object and "licenses" array are read
	// too), or "".
	License string
	// Entrypoint is the file `node` runs, relative to the app directory.
	Entrypoint string
	// Start is the start script the entrypoint came from (its node flags
	// and arguments go into the image), or nil when it came from
	// --entrypoint or "main".
	Start *StartCommand
	// StartBin is the "start" script when it runs a command by name that
	// the lockfile cannot resolve (yarn and pnpm keep no bin records): the
	// build resolves it among the installed production dependencies, then
	// sets Entrypoint and Start, else keeps Entrypoint ("main"). Nil
	// otherwise.
	StartBin *BinStart
	// Module is "module" for ESM projects and "commonjs" otherwise.
	Module string
	// EnginesNode is package.json's engines.node range, or "".
	EnginesNode string
	// Dependencies and DevDependencies are package.json's, name to range.
	Dependencies    map[string]string
	DevDependencies map[string]string
	// Scripts are package.json's scripts.
	Scripts map[string]string
	// PackageManager installs the dependencies: npm, yarn or pnpm, from
	// the lockfile present and package.json's packageManager.
	PackageManager PackageManager
}

type packageJSON struct {
	Name            string            `json:"name"`
	Main            string            `json:"main"`
	Type            string            `json:"type"`
	Scripts         map[string]string `json:"scripts"`
	Engines         map[string]string `json:"engines"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	PackageManager  string            `json:"packageManager"`
	// OptionalDependencies are installed in production too.
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	Description          string            `json:"description"`
	License              json.RawMessage   `json:"license"`
	Licenses             []struct {
		Type string `json:"type"`
	} `json:"licenses"`
}

// Inspect validates a project's manifests and returns what the build needs.
// entrypoint overrides the file to run; "" derives it from package.json
// ("main", else a "start" script of the form `node <file>`).
func Inspect(files Files, entrypoint string) (*App, error) {
	raw, ok := files["package.json"]
	if !ok {
		return nil, fmt.Errorf("%w not found in the source directory: the build needs a Node.js project root (pass --source <dir with package.json>)", ErrPackageJSON)
	}
	var pkg packageJSON
	if err := json.Unmarshal(raw, &pkg); err != nil {
		return nil, fmt.Errorf("%w is not valid JSON: %w", ErrPackageJSON, err)
	}
	pm, err := detectPackageManager(files, pkg.PackageManager)
	if err != nil {
		return nil, err
	}
	if err := CheckLockfile(files); err != nil {
		return nil, err
	}
	app := &App{
		Name:            pkg.Name,
		Description:     pkg.Description,
		License:         licenseOf(pkg),
		Module:          "commonjs",
		EnginesNode:     pkg.Engines["node"],
		Dependencies:    orEmpty(pkg.Dependencies),
		DevDependencies: orEmpty(pkg.DevDependencies),
		Scripts:         orEmpty(pkg.Scripts),
		PackageManager:  pm,
	}
	if pkg.Type == "module" {
		app.Module = "module"
	}
	if entrypoint == "" {
		// A start script says how the app runs in production, so it wins
		// over "main" (often a library entry, or npm init's index.js).
		c := startCommand(app.Scripts)
		if c == nil {
			c = binStartCommand(app.Scripts["start"], files["package-lock.json"])
		}
		if c != nil {
			entrypoint, app.Start = c.File, c
		}
		if c == nil && pm.Kind != lockfile.NPM {
			app.StartBin = parseBinStart(app.Scripts["start"])
		}
	}
	if entrypoint == "" && pkg.Main == "" && app.StartBin != nil {
		return app, nil // Entrypoint is set by the build, from the installed dependencies
	}
	entry, err := resolveEntrypoint(pkg, entrypoint)
	if err != nil {
		return nil, err
	}
	app.Entrypoint = entry
	return app, nil
}

func resolveEntrypoint(pkg packageJSON, override string) (string, error) {
	entry := override
	if entry == "" {
		entry = pkg.Main
	}
	if entry == "" {
		return "", fmt.Errorf(`%w: cannot tell which file starts the app: set "main" in package.json, a "start" or "start:prod" script of the form "node <file>", or pass --entrypoint <file>`, ErrEntrypoint)
	}
	clean := path.Clean(strings.TrimPrefix(entry, "./"))
	if path.IsAbs(clean) || strings.HasPrefix(clean, "..") {
		return "", fmt.Errorf("%w %q must be a file inside the app directory", ErrEntrypoint, entry)
	}
	return clean, nil
}

// StartScripts are the scripts that start an app in production, in the
// order they are tried: "start", then "start:prod" (NestJS and others keep
// "start" for a dev server).
var StartScripts = []string{"start", "start:prod"}

// StartCommand is how a start script runs node: `node [flags] <file>
// [args]`.
type StartCommand struct {
	// Script is the script's name, e.g. "start".
	Script string
	// NodeFlags are node's own options before the file, e.g.
	// ["--enable-source-maps"] or ["-r", "dotenv/config"].
	NodeFlags []string
	// File is the file node runs.
	File string
	// Args are the arguments after the file.
	Args []string
}

// startCommand returns the first of StartScripts that is a plain
// `node [flags] <file> [args]` command (no shell syntax, no other tool),
// or nil.
func startCommand(scripts map[string]string) *StartCommand {
	for _, name := range StartScripts {
		if c := parseNodeCommand(scripts[name]); c != nil {
			c.Script = name
			return c
		}
	}
	return nil
}

// nodeFlagsWithValue are node options whose value is the next word.
var nodeFlagsWithValue = map[string]bool{"-r": true, "--require": true, "--import": true, "--loader": true, "--experimental-loader": true, "--env-file": true, "--conditions": true, "-C": true, "--title": true}

// parseNodeCommand parses `node [flags] <file> [args]`; anything with shell
// syntax (&&, |, ;, quotes, $, env assignments) or another program is nil.
func parseNodeCommand(script string) *StartCommand {
	if strings.ContainsAny(script, "&|;<>$`'\"\\") {
		return nil
	}
	fields := strings.Fields(script)
	if len(fields) < 2 || fields[0] != "node" {
		return nil
	}
	c := &StartCommand{}
	i := 1
	for ; i < len(fields) && strings.HasPrefix(fields[i], "-"); i++ {
		switch f := fields[i]; {
		case f == "-e" || f == "--eval" || f == "-p" || f == "--print" || f == "-":
			return nil
		case nodeFlagsWithValue[f]:
			if i+1 >= len(fields) {
				return nil
			}
			c.NodeFlags = append(c.NodeFlags, f, fields[i+1])
			i++
		default:
			c.NodeFlags = append(c.NodeFlags, f)
		}
	}
	if i >= len(fields) {
		return nil
	}
	c.File = fields[i]
	if len(fields) > i+1 {
		c.Args = fields[i+1:]
	}
	return c
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// licenseOf is package.json's license: the string, the legacy
// {"type": "MIT"} object, or the legacy "licenses" array's types joined
// with " OR "; "" when there is none.
func licenseOf(pkg packageJSON) string {
	var s string
	if json.Unmarshal(pkg.License, &s) == nil && s != "" {
		return s
	}
	var obj struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(pkg.License, &obj) == nil && obj.Type != "" {
		return obj.Type
	}
	var types []string
	for _, l := range pkg.Licenses {
		if l.Type != "" {
			types = append(types, l.Type)
		}
	}
	return strings.Join(types, " OR ")
}
