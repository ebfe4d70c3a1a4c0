package nodeapp

import (
	"encoding/json"
	"path"
	"sort"
	"strings"
)

// binStartCommand turns a start script that runs a production
// dependency's command (`fastify start -l info app.js`) into a node
// command: the file is the package's bin script, as package-lock.json
// records it, and the script's words are its arguments. It is nil for
// anything else: shell syntax, a dev dependency's command (`nest start`
// runs the Nest CLI, a dev tool), or a lockfile without bin records (yarn
// and pnpm do not keep them).
func binStartCommand(script string, lock []byte) *StartCommand {
	bin := parseBinStart(script)
	if bin == nil || len(lock) == 0 {
		return nil
	}
	var l struct {
		Packages map[string]struct {
			Bin json.RawMessage `json:"bin"`
			Dev bool            `json:"dev"`
		} `json:"packages"`
	}
	if json.Unmarshal(lock, &l) != nil {
		return nil
	}
	// In key order: if two packages declare the command, the choice must
	// not depend on map order.
	keys := make([]string, 0, len(l.Packages))
	for k := range l.Packages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		p := l.Packages[key]
		// Only packages hoisted to the app's own node_modules have their
		// command in node_modules/.bin, which is what `npm start` runs.
		if p.Dev || len(p.Bin) == 0 || !strings.HasPrefix(key, "node_modules/") || strings.Contains(strings.TrimPrefix(key, "node_modules/"), "/node_modules/") {
			continue
		}
		var bins map[string]string
		if json.Unmarshal(p.Bin, &bins) != nil {
			continue
		}
		file, ok := bins[bin.Name]
		if !ok {
			continue
		}
		return &StartCommand{Script: "start", File: path.Join(key, path.Clean(strings.TrimPrefix(file, "./"))), Args: bin.Args}
	}
	return nil
}

// BinStart is a start script that runs a command by name (`next start`),
// as npm puts a dependency's bin script on the PATH. Which file that is,
// package-lock.json records; yarn's and pnpm's lockfiles do not, so the
// build looks it up among the installed production dependencies.
type BinStart struct {
	// Name is the command, e.g. "next".
	Name string
	// Args are the script's words after it, e.g. ["start"].
	Args []string
}

// parseBinStart parses a start script of the form `<command> [args]`: no
// shell syntax, no env assignment, and a command that is neither node nor
// a path. It is nil for anything else.
func parseBinStart(script string) *BinStart {
	if script == "" || strings.ContainsAny(script, "&|;<>$`'\"\\=") {
		return nil
	}
	fields := strings.Fields(script)
	if len(fields) == 0 || fields[0] == "node" || strings.ContainsAny(fields[0], "/.") {
		return nil
	}
	b := &BinStart{Name: fields[0]}
	if len(fields) > 1 {
		b.Args = fields[1:]
	}
	return b
}
