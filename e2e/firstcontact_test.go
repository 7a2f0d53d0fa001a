// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/testws"
)

// oldX is a module of three modules' worth of older golang.org/x
// requirements, used by code so that go mod tidy keeps them.
func oldX(module, goLine string) testws.Files {
	return xModule(module, goLine, true)
}

// twoX is oldX without golang.org/x/sys: a root module that does not
// require what hackless requires at a lower version than the workspace's
// other modules (x/sys, through fatih/color).
func twoX(module, goLine string) testws.Files {
	return xModule(module, goLine, false)
}

func xModule(module, goLine string, sys bool) testws.Files {
	req, imp, use := "", "", ""
	if sys {
		req, imp, use = "\tgolang.org/x/sys v0.25.0\n", "\t\"golang.org/x/sys/cpu\"\n", "\t_ = cpu.X86.HasAVX2\n"
	}
	return testws.Files{
		"go.mod": "module " + module + "\n\ngo " + goLine + "\n\nrequire (\n\tgolang.org/x/mod v0.21.0\n\tgolang.org/x/sync v0.8.0\n" + req + ")\n",
		"x.go": "// Copyright The Example Authors.\n\n// Package x uses older golang.org/x modules.\npackage x\n\nimport (\n\t\"golang.org/x/mod/semver\"\n\t\"golang.org/x/sync/errgroup\"\n" + imp + ")\n\n" +
			"// OK says whether v is valid.\nfunc OK(v string) bool {\n\tvar g errgroup.Group\n\tg.Go(func() error { return nil })\n" + use + "\treturn semver.IsValid(v) && g.Wait() == nil\n}\n",
	}
}

// shape is one kind of repository hackless meets first.
type shape struct {
	name  string
	files testws.Files
	// tidy lists the module directories to tidy on their own.
	tidy []string
	// generate lists module directories where go generate runs before the
	// first commit, with the programs the tools modules pin on PATH.
	generate []string
	// defects seeds one defect per step; wants are what verify must say.
	defects testws.Files
	wants   []string
	// adopted are what hackless init must say.
	adopted []string
}

func under(dir string, files testws.Files) testws.Files {
	out := testws.Files{}
	for f, c := range files {
		out[filepath.ToSlash(filepath.Join(dir, f))] = c
	}
	return out
}

func merge(all ...testws.Files) testws.Files {
	out := testws.Files{}
	for _, fs := range all {
		for f, c := range fs {
			out[f] = c
		}
	}
	return out
}

const header = "// Copyright The Example Authors.\n\n"

// status is a package that two modules provide: an old monolithic module
// and the module split out of it, as google.golang.org/genproto and
// google.golang.org/genproto/googleapis/rpc do.
const status = "// Package status holds status codes.\npackage status\n\n// Code is a status code.\nconst Code = 1\n"

var shapes = []shape{
	{
		// A: a checked-in go.work (go 1.25, no patch), a tools module
		// inside it with newer pins, release notes with typos, a vet
		// finding silenced with //nolint:govet, and a root module that
		// does not require golang.org/x/sys, which server requires above
		// the version hackless asks for.
		name: "etcd-like",
		files: merge(
			twoX("example.com/a", "1.25"),
			under("server", oldX("example.com/a/server", "1.25")),
			under("tools", testws.Files{
				"go.mod":   "module example.com/a/tools\n\ngo 1.25\n\nrequire golang.org/x/sys v0.30.0\n",
				"tools.go": header + "// Package tools pins tools.\npackage tools\n\nimport _ \"golang.org/x/sys/cpu\"\n",
			}),
			testws.Files{
				"go.work":                    "go 1.25\n\nuse (\n\t.\n\t./server\n\t./tools\n)\n",
				"CHANGELOG/CHANGELOG-3.5.md": "# v3.5.0\n\nWe definately fixed the leak that occured.\n",
				"server/locks_test.go":       header + "package x\n\nimport (\n\t\"sync\"\n\t\"testing\"\n)\n\ntype guarded struct{ mu sync.Mutex }\n\nfunc TestCopy(t *testing.T) {\n\tg := guarded{}\n\th := g //nolint:govet // a copy on purpose\n\t_ = &h\n}\n",
				".gitignore":                 "/bin/\n",
			},
		),
		tidy:    []string{".", "server", "tools"},
		defects: testws.Files{"server/bad.go": header + "package x\n\nimport \"fmt\"\n\n// Bad misuses Printf.\nfunc Bad() string { return fmt.Sprintf(\"%d\", \"x\") }\n"},
		wants:   []string{"server/bad.go:8:", "(printf)"},
	},
	{
		// B: Kubernetes style, no go.work (git ignores it), an unpinned
		// tools module in hack/tools, modules reaching each other by
		// replace.
		name: "kubernetes-like",
		files: merge(
			oldX("example.com/b", "1.25.0"),
			under("staging/src/example.com/api", oldX("example.com/api", "1.25.0")),
			under("hack/tools", testws.Files{
				"go.mod":   "module example.com/b/hack/tools\n\ngo 1.25.0\n\nrequire golang.org/x/sys v0.31.0\n",
				"tools.go": header + "// Package tools pins nothing hackless knows.\npackage tools\n\nimport _ \"golang.org/x/sys/cpu\"\n",
			}),
			testws.Files{".gitignore": "go.work\ngo.work.sum\n"},
		),
		tidy:    []string{".", "staging/src/example.com/api", "hack/tools"},
		defects: testws.Files{"staging/src/example.com/api/ugly.go": header + "package x\n\nfunc   Ugly() {}\n"},
		wants:   []string{"staging/src/example.com/api/ugly.go:5: not formatted with gofmt -s"},
	},
	{
		// C: go 1.25.0, go.work generated on demand and ignored, a header
		// rule that is not a Kubernetes template, generated files with
		// typos, a replace spelled ../../x from a nested module, stringer
		// pinned the tools.go way in a tools module that also requires an
		// unlicensed module, and an ambiguous import in the joined build
		// list (metric requires the split status module, bridge the old
		// monolith that still holds the package), which no module has on
		// its own.
		name: "opentelemetry-like",
		files: merge(
			oldX("example.com/c", "1.25.0"),
			under("metric", oldX("example.com/c/metric", "1.25.0")),
			under("metric/x", testws.Files{
				"go.mod": "module example.com/c/metric/x\n\ngo 1.25.0\n\nrequire example.com/c/metric v0.0.0\n\nreplace (\n\texample.com/c/metric => ../../metric\n\texample.com/genproto/googleapis/rpc => ../../testdata/genproto-rpc\n)\n",
				"x.go":   header + "// Package x is experimental.\npackage x\n\nimport m \"example.com/c/metric\"\n\n// OK is metric's.\nvar OK = m.OK\n",
			}),
			under("bridge", testws.Files{
				"go.mod":    "module example.com/c/bridge\n\ngo 1.25.0\n\nrequire example.com/genproto v0.0.0\n\nreplace example.com/genproto => ../testdata/genproto\n",
				"bridge.go": header + "// Package bridge still uses the old monolith.\npackage bridge\n\nimport \"example.com/genproto/googleapis/rpc/status\"\n\n// Code is the status code.\nconst Code = status.Code\n",
			}),
			under("testdata/genproto", testws.Files{
				"go.mod":                          "module example.com/genproto\n\ngo 1.25.0\n",
				"LICENSE":                         testws.MIT,
				"googleapis/rpc/status/status.go": status,
			}),
			under("testdata/genproto-rpc", testws.Files{
				"go.mod":           "module example.com/genproto/googleapis/rpc\n\ngo 1.25.0\n",
				"LICENSE":          testws.MIT,
				"status/status.go": status,
			}),
			under("testdata/unlicensed", testws.Files{
				"go.mod":  "module example.com/unlicensed\n\ngo 1.25.0\n",
				"font.go": "// Package font has no license file.\npackage font\n",
			}),
			under("internal/tools", testws.Files{
				"go.mod":   "module example.com/c/internal/tools\n\ngo 1.25.0\n\nrequire (\n\texample.com/unlicensed v0.0.0\n\tgolang.org/x/tools v0.39.0\n)\n\nreplace example.com/unlicensed => ../../testdata/unlicensed\n",
				"tools.go": header + "//go:build tools\n\n// Package tools pins the programs the Makefile builds.\npackage tools\n\nimport (\n\t_ \"example.com/unlicensed\"\n\t_ \"golang.org/x/tools/cmd/stringer\"\n)\n",
			}),
			testws.Files{
				".gitignore":         "go.work\ngo.work.sum\n",
				"hackless.yaml":      "boilerplate:\n  rules:\n    - text: Copyright The Example Authors\n",
				"metric/go.mod":      "module example.com/c/metric\n\ngo 1.25.0\n\nrequire (\n\texample.com/genproto/googleapis/rpc v0.0.0\n\tgolang.org/x/mod v0.21.0\n\tgolang.org/x/sync v0.8.0\n\tgolang.org/x/sys v0.25.0\n)\n\nreplace example.com/genproto/googleapis/rpc => ../testdata/genproto-rpc\n",
				"metric/status.go":   header + "package x\n\nimport \"example.com/genproto/googleapis/rpc/status\"\n\n// Code is the status code.\nconst Code = status.Code\n",
				"metric/zz_names.go": "// Code generated by stringer; DO NOT EDIT.\n\npackage x\n\n// Recieve is a name the generator spelled.\nconst Recieve = 1\n",
				"kind.go":            header + "package x\n\n//go:generate stringer -type=Kind\n\n// Kind is a kind.\ntype Kind int\n\n// The kinds.\nconst (\n\tGauge Kind = iota\n\tCounter\n)\n",
			},
		),
		tidy:     []string{".", "metric", "metric/x", "bridge", "internal/tools"},
		generate: []string{"."},
		defects: testws.Files{
			"metric/noheader.go": "package x\n\n// Seperate is misspelled.\nconst Seperate = 2\n",
			"metric/bad.go":      header + "package x\n\nimport \"fmt\"\n\n// Bad misuses Printf.\nfunc Bad() string { return fmt.Sprintf(\"%d\", \"x\") }\n",
			"kind.go":            header + "package x\n\n//go:generate stringer -type=Kind\n\n// Kind is a kind.\ntype Kind int\n\n// The kinds.\nconst (\n\tGauge Kind = iota\n\tCounter\n\tHistogram\n)\n",
		},
		wants: []string{"kind_string.go:", "generated code: stale", "metric/noheader.go:1: the first 5 lines do not contain \"Copyright The Example Authors\"", `metric/noheader.go:3:4: "Seperate" is a misspelling`, "metric/bad.go:8:", "(printf)"},
	},
	{
		// D: a published library, one module and no go.work, whose
		// consumers must never inherit hackless, and an e2e test module
		// that requires the root through replace ../ (a sibling whose
		// module graph must not change either).
		name: "library",
		files: merge(
			twoX("example.com/lib", "1.25"),
			under("e2e", testws.Files{
				"go.mod":  "module example.com/lib/e2e\n\ngo 1.25\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../\n",
				"e2e.go":  header + "// Package e2e tests the library from outside.\npackage e2e\n\nimport \"example.com/lib\"\n\n// OK is the library's.\nvar OK = x.OK\n",
				"doc.go":  header + "package e2e\n",
				"LICENSE": testws.MIT,
			}),
			testws.Files{"LICENSE": testws.MIT},
		),
		tidy:    []string{".", "e2e"},
		defects: testws.Files{"ugly.go": header + "package x\n\nfunc   Ugly() {}\n", "noheader.go": "package x\n"},
		// The header rule init inferred from the Go files catches a
		// file without it.
		wants: []string{"ugly.go:5: not formatted with gofmt -s", "fix: go -C magefiles tool hackless update:gofmt", "noheader.go:1: the first 5 lines do not contain"},
	},
	{
		// E: a go.work and no root module: every module is in a
		// directory of its own (a 48-module repository's layout).
		name: "workspace-without-root",
		files: merge(
			under("api", twoX("example.com/e/api", "1.25")),
			under("sdk", oldX("example.com/e/sdk", "1.25")),
			testws.Files{"go.work": "go 1.25\n\nuse (\n\t./api\n\t./sdk\n)\n"},
		),
		tidy:    []string{"api", "sdk"},
		defects: testws.Files{"sdk/bad.go": header + "package x\n\nimport \"fmt\"\n\n// Bad misuses Printf.\nfunc Bad() string { return fmt.Sprintf(\"%d\", \"x\") }\n"},
		wants:   []string{"sdk/bad.go:8:", "(printf)"},
	},
}

var hacklessBin struct {
	once sync.Once
	path string
	err  error
}

// hacklessCommand builds this checkout's cmd/hackless once.
func hacklessCommand(t *testing.T) string {
	hacklessBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "hackless-bin-")
		if err != nil {
			hacklessBin.err = err
			return
		}
		hacklessBin.path = filepath.Join(dir, "hackless")
		cmd := exec.Command("go", "build", "-o", hacklessBin.path, "./cmd/hackless")
		cmd.Dir = testws.Checkout()
		if out, err := cmd.CombinedOutput(); err != nil {
			hacklessBin.err = &buildError{string(out)}
		}
	})
	if hacklessBin.err != nil {
		t.Fatal(hacklessBin.err)
	}
	return hacklessBin.path
}

type buildError struct{ out string }

func (e *buildError) Error() string { return "build cmd/hackless: " + e.out }

// modLines records what adoption must not change in a go.mod or go.work:
// its go and toolchain lines and each requirement's version.
func modLines(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	files := strings.Fields(testws.Run(t, dir, "git", "ls-files", "--", "go.mod", "**/go.mod", "go.work"))
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, "go.work") {
			wf, err := modfile.ParseWork(f, data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if wf.Go != nil {
				out[f+" go"] = wf.Go.Version
			}
			if wf.Toolchain != nil {
				out[f+" toolchain"] = wf.Toolchain.Name
			}
			continue
		}
		mf, err := modfile.Parse(f, data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if mf.Go != nil {
			out[f+" go"] = mf.Go.Version
		}
		if mf.Toolchain != nil {
			out[f+" toolchain"] = mf.Toolchain.Name
		}
		for _, r := range mf.Require {
			out[f+" "+r.Mod.Path] = r.Mod.Version
		}
	}
	return out
}

// buildList is `go list -m all` of each module on its own.
func buildList(t *testing.T, dir string, modules []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range modules {
		cmd := exec.Command("go", "list", "-m", "all")
		cmd.Dir = filepath.Join(dir, m)
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -m all in %s: %v", m, err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if f := strings.Fields(l); len(f) == 2 {
				out[m+" "+f[0]] = f[1]
			}
		}
	}
	return out
}

func TestFirstContact(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: adopts hackless into generated repositories")
	}
	bin := hacklessCommand(t)
	checkout, err := filepath.Abs(testws.Checkout())
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			t.Parallel()
			dir := testws.New(t, sh.files)
			testws.Tidy(t, dir, sh.tidy...)
			if len(sh.generate) > 0 {
				generate(t, dir, sh.generate)
			}
			testws.Git(t, dir)
			before, beforeList := modLines(t, dir), buildList(t, dir, sh.tidy)
			modFiles := goModFiles(t, dir)
			workList := workspaceList(t, dir)

			adopt := func() string { return hacklessInit(t, bin, checkout, dir) }
			out := adopt()
			t.Logf("adoption:\n%s", out)
			wantOutput(t, out, "magefiles/go.mod: created", "magefiles/go.work: created", "next: go -C magefiles tool hackless verify")
			wantOutput(t, out, sh.adopted...)

			// hackless lives beside the product: no go.mod, go.sum,
			// go.work or go.work.sum of the repository changes, no go.work
			// appears, and git sees only hackless's module and .gitignore.
			if now := goModFiles(t, dir); !maps.Equal(now, modFiles) {
				t.Errorf("adoption changed the repository's module files: before %v, after %v", slices.Sorted(maps.Keys(modFiles)), slices.Sorted(maps.Keys(now)))
			}
			if now := workspaceList(t, dir); now != workList {
				t.Errorf("adoption moved the workspace's build list:\n%s\n->\n%s", workList, now)
			}
			for _, l := range strings.Split(strings.TrimSpace(testws.Run(t, dir, "git", "status", "--porcelain", "-uall")), "\n") {
				if l = strings.TrimSpace(l); l != "M .gitignore" && l != "?? .gitignore" && l != "?? hackless.yaml" && !strings.HasPrefix(l, "?? magefiles/") {
					t.Errorf("adoption changed %q", l)
				}
			}

			// Adoption changes nothing the repository did not ask for: no
			// go, toolchain or requirement line of any module moves, and
			// no module of any build list changes version.
			after := modLines(t, dir)
			for k, v := range before {
				if after[k] != v {
					t.Errorf("adoption changed %s: %s -> %s", k, v, after[k])
				}
			}
			afterList := buildList(t, dir, sh.tidy)
			for k, v := range beforeList {
				if afterList[k] != v {
					t.Errorf("adoption moved %s: %s -> %s", k, v, afterList[k])
				}
			}
			for k := range afterList {
				if _, ok := beforeList[k]; !ok {
					t.Errorf("adoption added %s to a module's build list", k)
				}
			}

			// Running it twice changes nothing.
			status := testws.Run(t, dir, "git", "status", "--porcelain")
			if again := adopt(); !strings.Contains(again, "nothing to change") || testws.Run(t, dir, "git", "status", "--porcelain") != status {
				t.Errorf("a second adoption changed something:\n%s", again)
			}
			testws.Write(t, dir, testws.Files{"magefiles/test.go": testMagefile(header, t.Name())})
			testws.Run(t, dir, "git", "add", "-A")
			testws.Run(t, dir, "git", "commit", "-qm", "adopt hackless")

			// The first verify on the clean repository passes and leaves
			// the tree as it was.
			out, code := mage(t, dir, nil, "verify")
			wantCode(t, out, code, 0)
			if _, own := sh.files["hackless.yaml"]; !own {
				// The first summary names what init inferred.
				wantOutput(t, out, "hackless.yaml, as hackless init ")
			}
			if s := testws.Run(t, dir, "git", "status", "--porcelain"); s != "" {
				t.Errorf("verify left the tree changed:\n%s", s)
			}
			if now := goModFiles(t, dir); !maps.Equal(now, modFiles) {
				t.Errorf("verify changed the repository's module files")
			}
			// The licenses it identified are remembered, so that the next
			// run need not build licensecheck's matcher.
			if memo, _ := filepath.Glob(filepath.Join(cacheDir(t), "licenses", "*", "*")); len(memo) == 0 {
				t.Errorf("verify remembered no identified license in %s", cacheDir(t))
			}

			// A seeded defect is still caught, at its file and line.
			testws.Write(t, dir, sh.defects)
			out, code = mage(t, dir, []string{hashFast}, "verify")
			wantCode(t, out, code, 1)
			wantOutput(t, out, sh.wants...)
		})
	}
}

// hacklessInit runs `hackless init` (bin) in dir with hackless replaced by
// checkout, and returns what it printed.
func hacklessInit(t *testing.T, bin, checkout, dir string) string {
	t.Helper()
	cmd := exec.Command(bin, "init", "-replace="+checkout)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hackless init: %v\n%s", err, out)
	}
	return string(out)
}

// generate runs go generate in modules of dir, with stringer, built from
// internal/tools, on PATH: what the repository's Makefile would do.
func generate(t *testing.T, dir string, modules []string) {
	t.Helper()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin, "golang.org/x/tools/cmd/stringer")
	build.Dir = filepath.Join(dir, "internal", "tools")
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build stringer: %v\n%s", err, out)
	}
	for _, m := range modules {
		cmd := exec.Command("go", "generate", "./...")
		cmd.Dir = filepath.Join(dir, m)
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go generate in %s: %v\n%s", m, err, out)
		}
	}
}

// goModFiles reads every go.mod, go.sum, go.work and go.work.sum of the
// repository in dir, tracked or ignored, but hackless's own module's.
func goModFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() && (d.Name() == ".git" || rel == "magefiles" || d.Name() == "_output") {
			return filepath.SkipDir
		}
		switch d.Name() {
		case "go.mod", "go.sum", "go.work", "go.work.sum":
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// workspaceList is `go list -m all` at the root in the go command's own
// mode there (the repository's go.work, if it has one), or "" where it
// fails (no module at the root and no go.work).
func workspaceList(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "all")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if data, err := os.ReadFile(filepath.Join(dir, "go.work")); err == nil {
		// On a copy: the go command would write go.work.sum in the tree.
		work, err := workspace.WorkCopy(dir, data, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		cmd.Env = append(cmd.Env, "GOWORK="+work)
	}
	b, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(b)
}
