package pipeline_test

import (
	"archive/tar"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger/immutable/internal/testenv"
	"dagger/immutable/nodeapp"
	"dagger/immutable/pipeline"
	"dagger/immutable/publish"
	"dagger/immutable/sbom"
)

// pmRelease releases dir as 1.0.0 to a new repository named after tag.
func pmRelease(t *testing.T, tag, dir string) (*pipeline.ReleaseReport, string, error) {
	t.Helper()
	c := testenv.Client(t)
	repo := fmt.Sprintf("%s/pm-%s-%d", testenv.Registry(t), tag, time.Now().UnixNano())
	r, err := pipeline.Release(ctx(t), c, pipeline.ReleaseOptions{
		Build: options(c, dir, "1.0.0"), Registry: pipeline.Registry{Repo: repo}, WorkDir: t.TempDir(),
	})
	return r, repo, err
}

// imageTree lists the published image's files (flattened): path, without
// "./" or a trailing "/", to header.
func imageTree(t *testing.T, ref string) map[string]*tar.Header {
	t.Helper()
	tree := map[string]*tar.Header{}
	for n, h := range imageFiles(t, publishedImage(t, ref)) {
		tree[strings.TrimSuffix(strings.TrimPrefix(n, "./"), "/")] = h
	}
	return tree
}

// TestPackageManagers releases the yarn classic, yarn berry and pnpm
// fixtures side by side through the real engine and registry, each with
// its own tool: every gate passes (unit tests run with the app's tool,
// the reproducibility gate builds it twice, independently), the runtime
// image has the production framework and no dev dependency nor install
// state, and the attached SBOM lists the framework and not the dev
// dependency.
func TestPackageManagers(t *testing.T) {
	for _, tc := range []struct {
		fixture, prod string
		present       []string // paths that must be in the image
		absent        []string // paths that must not
	}{
		{"yarn-classic", "express",
			[]string{"app/node_modules/express/package.json", "app/server.js"},
			[]string{"app/node_modules/@types/node", "app/node_modules/undici-types", "app/node_modules/.yarn-integrity"}},
		{"yarn-berry", "koa",
			[]string{"app/node_modules/koa/package.json", "app/server.js"},
			[]string{"app/node_modules/@types/node", "app/node_modules/.yarn-state.yml", "app/.yarnrc.yml", "app/.yarn"}},
		{"pnpm", "fastify",
			[]string{"app/node_modules/fastify", "app/node_modules/.pnpm/fastify@5.12.8/node_modules/fastify/package.json"},
			[]string{"app/node_modules/@types/node", "app/node_modules/.pnpm/@types+node@22.20.7", "app/node_modules/.pnpm/undici-types@6.21.0", "app/node_modules/.modules.yaml", "app/node_modules/.pnpm/lock.yaml", "app/node_modules/.pnpm-workspace-state-v1.json"}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			r, repo, err := pmRelease(t, tc.fixture, testenv.Path("fixtures", tc.fixture))
			if err != nil {
				t.Fatalf("release: %v", err)
			}
			for _, g := range r.Gates {
				if !g.Passed {
					t.Errorf("gate %s did not pass: %s", g.Name, g.Detail)
				}
			}
			if r.Verify == nil {
				t.Error("no reproducibility report")
			}
			tree := imageTree(t, repo+":v1.0.0")
			for _, p := range tc.present {
				if tree[p] == nil {
					t.Errorf("runtime image has no /%s", p)
				}
			}
			for _, p := range tc.absent {
				for f := range tree {
					if f == p || strings.HasPrefix(f, p+"/") {
						t.Errorf("runtime image has /%s", f)
						break
					}
				}
			}
			raw, err := pipeline.FetchSBOM(ctx(t), pipeline.Registry{Repo: repo}, r.Digest)
			if err != nil {
				t.Fatal(err)
			}
			bom, err := sbom.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for _, c := range *bom.Components {
				names[c.Name] = true
			}
			if !names[tc.prod] || names["@types/node"] || names["undici-types"] {
				t.Errorf("SBOM: %s listed = %v, @types/node = %v, undici-types = %v; want true, false, false",
					tc.prod, names[tc.prod], names["@types/node"], names["undici-types"])
			}
			t.Logf("%s: %s, %d files, gates %s", tc.fixture, r.Digest, len(tree), gateSummary(r.Gates))
		})
	}
}

func gateSummary(gates []publish.Gate) string {
	var s []string
	for _, g := range gates {
		s = append(s, fmt.Sprintf("%s=%v/%s", g.Name, g.Passed, g.Duration.Round(time.Millisecond)))
	}
	return strings.Join(s, " ")
}

// TestPackageManagerRefusals: each bad yarn or pnpm project fails with its
// error class, says what to do, and publishes nothing. Two of them are
// refused by the real tools in the builder: a pnpm lockfile whose
// settings disagree with the project's (only pnpm can tell), and a
// packageManager hash that is not the registry tarball's.
func TestPackageManagerRefusals(t *testing.T) {
	edit := func(t *testing.T, fixture, file, old, new string) string {
		dir := testenv.CopyFixture(t, fixture)
		if file != "" {
			replaceIn(t, filepath.Join(dir, file), old, new)
		}
		return dir
	}
	for _, tc := range []struct {
		name  string
		dir   func(t *testing.T) string
		class error
		want  []string
	}{
		{"pnpm lockfile out of sync", func(t *testing.T) string {
			return edit(t, "pnpm", "package.json", `"fastify": "^5.2.0"`, `"fastify": "^5.2.0",
    "ms": "^2.1.3"`)
		}, nodeapp.ErrLockfile, []string{"pnpm-lock.yaml is out of sync", "dependencies.ms (^2.1.3) is missing", "run `pnpm install` and commit"}},
		{"yarn classic lockfile out of sync", func(t *testing.T) string {
			return edit(t, "yarn-classic", "package.json", `"express": "^4.21.2"`, `"express": "^4.22.0"`)
		}, nodeapp.ErrLockfile, []string{"dependencies.express (^4.22.0) is missing from the lockfile", "run `yarn install`"}},
		{"pnpm settings refused by pnpm", func(t *testing.T) string {
			return edit(t, "pnpm", "pnpm-lock.yaml", "autoInstallPeers: true", "autoInstallPeers: false")
		}, nodeapp.ErrLockfile, []string{"pnpm-lock.yaml does not match package.json, pnpm says", "ERR_PNPM_LOCKFILE_CONFIG_MISMATCH", "run `pnpm install` and commit pnpm-lock.yaml"}},
		{"yarn Plug'n'Play", func(t *testing.T) string {
			dir := testenv.CopyFixture(t, "yarn-berry")
			if err := os.Remove(filepath.Join(dir, ".yarnrc.yml")); err != nil {
				t.Fatal(err)
			}
			return dir
		}, nodeapp.ErrPackageManager, []string{"nodeLinker pnp (yarn's default) is not supported", "add `nodeLinker: node-modules` to .yarnrc.yml"}},
		{"packageManager hash not the tarball's", func(t *testing.T) string {
			return edit(t, "pnpm", "package.json", `"pnpm@10.34.9"`, `"pnpm@10.34.9+sha512.`+strings.Repeat("0", 128)+`"`)
		}, nodeapp.ErrPackageManager, []string{"pnpm@10.34.9: the registry tarball's sha512 is f49b5a8ea0fd", "fix the hash in package.json's packageManager"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, repo, err := pmRelease(t, "refused", tc.dir(t))
			if !errors.Is(err, tc.class) {
				t.Fatalf("release error = %v, want %v", err, tc.class)
			}
			for _, w := range append(tc.want, "nothing was published") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if tags := testenv.Tags(t, repo); len(tags) != 0 {
				t.Errorf("registry has tags %v", tags)
			}
		})
	}
}
