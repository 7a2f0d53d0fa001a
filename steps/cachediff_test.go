// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/internal/testws"
)

// A cacheCase is one way to make a cached result wrong: a workspace, the
// steps it concerns, and a change after which every cached verdict must
// equal the verdict of a run without the cache.
type cacheCase struct {
	name   string
	files  func(testws.Files)             // changes to the staging workspace before it is committed
	env    func(dir, out string) []string // extra variables; out is a directory outside the tree
	steps  []*build.Step
	mutate func(t *testing.T, dir, out string)
}

// diffRun runs steps in process and returns each step's verdict.
func diffRun(t *testing.T, dir string, env []string, cacheDir string, steps []*build.Step) (map[string]*build.Result, string) {
	t.Helper()
	var out bytes.Buffer
	rep, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Dir: dir, Env: env, CacheDir: cacheDir, Order: UpdateOrder()}, Out: &out}, steps...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	res := make(map[string]*build.Result)
	for _, r := range rep.Results {
		res[r.Step] = r
	}
	return res, out.String()
}

// checkCache populates a cache on the case's workspace, applies the
// mutation, and requires that two cached runs give every step the verdict
// of a run without the cache. It returns the uncached verdicts.
func checkCache(t *testing.T, c cacheCase) map[string]*build.Result {
	t.Helper()
	files := testws.Staging()
	if c.files != nil {
		c.files(files)
	}
	dir := testws.New(t, files)
	testws.Git(t, dir)
	out := t.TempDir()
	env := os.Environ()
	if c.env != nil {
		env = append(env, c.env(dir, out)...)
	}
	cacheDir := t.TempDir()
	if base, log := diffRun(t, dir, env, cacheDir, c.steps); !allPassed(base) {
		t.Fatalf("the workspace fails before the change: the case tests nothing\n%s", log)
	}
	if first, log := diffRun(t, dir, env, cacheDir, c.steps); !allCached(first, c.steps) {
		t.Fatalf("the second run before the change was not all cached: the case tests nothing\n%s", log)
	}
	c.mutate(t, dir, out)
	truth, truthLog := diffRun(t, dir, env, "", c.steps)
	for i := range 2 {
		got, log := diffRun(t, dir, env, cacheDir, c.steps)
		for name, want := range truth {
			if g := got[name]; g.Status != want.Status {
				kind := "a different verdict"
				if g.Cached {
					kind = "a false cached pass"
				}
				t.Errorf("cached run %d: %s is %s (cached=%v), without the cache %s: %s\n--- cached:\n%s\n--- uncached:\n%s", i+1, name, g.Status, g.Cached, want.Status, kind, log, truthLog)
			}
		}
	}
	return truth
}

func allPassed(res map[string]*build.Result) bool {
	for _, r := range res {
		if r.Status != build.Passed {
			return false
		}
	}
	return true
}

// allCached reports whether every step that may be cached was.
func allCached(res map[string]*build.Result, steps []*build.Step) bool {
	for _, s := range steps {
		if !s.Uncached && !res[s.Name].Cached {
			return false
		}
	}
	return true
}

const (
	apiDir    = "staging/src/example.com/api/"
	clientDir = "staging/src/example.com/client/"
	mitText   = "MIT License\n\nCopyright (c) 2020 Example\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software and associated documentation files (the \"Software\"), to deal\nin the Software without restriction, including without limitation the rights\nto use, copy, modify, merge, publish, distribute, sublicense, and/or sell\ncopies of the Software, and to permit persons to whom the Software is\nfurnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be included in all\ncopies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\nIMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\nFITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\nAUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\nLIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,\nOUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE\nSOFTWARE.\n"
	bsdText   = "Copyright (c) 2020 Example. All rights reserved.\n\nRedistribution and use in source and binary forms, with or without\nmodification, are permitted provided that the following conditions are\nmet:\n\n   * Redistributions of source code must retain the above copyright\nnotice, this list of conditions and the following disclaimer.\n   * Redistributions in binary form must reproduce the above\ncopyright notice, this list of conditions and the following disclaimer\nin the documentation and/or other materials provided with the\ndistribution.\n   * Neither the name of Example nor the names of its\ncontributors may be used to endorse or promote products derived from\nthis software without specific prior written permission.\n\nTHIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS\n\"AS IS\" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT\nLIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR\nA PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT\nOWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,\nSPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT\nLIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,\nDATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY\nTHEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT\n(INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE\nOF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.\n"
)

// withLib adds example.com/lib in third_party/lib (outside the workspace,
// reached by a replace directive of the api module) and makes api use it.
func withLib(f testws.Files) {
	f["third_party/lib/go.mod"] = "module example.com/lib\n\ngo " + testws.GoVersion + "\n"
	f["third_party/lib/lib.go"] = "// Package lib is replaced in.\npackage lib\n\n// Go says go.\nfunc Go() string { return \"go\" }\n"
	f["third_party/lib/LICENSE"] = mitText
	f[apiDir+"go.mod"] = strings.Replace(f[apiDir+"go.mod"], "require example.com/client v0.0.0\n", "require (\n\texample.com/client v0.0.0\n\texample.com/lib v0.0.0\n)\n", 1) +
		"\nreplace example.com/lib => ../../../../third_party/lib\n"
	f[apiDir+"lib.go"] = "package api\n\nimport \"example.com/lib\"\n\n// Lib calls lib.\nfunc Lib() string { return lib.Go() }\n"
}

// cacheCases are the reproductions of every false cached pass found so
// far; each fails without the fix it names.
var cacheCases = []cacheCase{
	{
		// Issue 31: the key's file list did not follow a symlinked
		// package directory, which the go command follows.
		name: "a symlinked package directory's code",
		files: func(f testws.Files) {
			f[apiDir+"usesub.go"] = "package api\n\nimport \"example.com/api/sub\"\n\n// Sub is sub's.\nconst Sub = sub.X\n"
		},
		env: func(dir, out string) []string {
			os.MkdirAll(filepath.Join(out, "sub"), 0o755)
			os.WriteFile(filepath.Join(out, "sub", "sub.go"), []byte("// Package sub lives outside the tree.\npackage sub\n\n// X is x.\nconst X = 1\n"), 0o644)
			os.Symlink(filepath.Join(out, "sub"), filepath.Join(dir, apiDir+"sub"))
			return nil
		},
		steps: []*build.Step{Vet, Typecheck},
		mutate: func(t *testing.T, dir, out string) {
			os.WriteFile(filepath.Join(out, "sub", "sub.go"), []byte("// Package sub lives outside the tree.\npackage sub\n"), 0o644)
		},
	},
	{
		// Issue 31: codegen's scratch copy holds git-ignored files, its
		// key did not.
		name: "a generator reads a git-ignored file",
		files: func(f testws.Files) {
			f[".gitignore"] = apiDir + "input.txt\n"
			f[apiDir+"input.txt"] = "one"
			f[apiDir+"gen.go"] = "package api\n\n//go:generate sh gen.sh\n"
			f[apiDir+"gen.sh"] = "printf '// Code generated by gen.sh. DO NOT EDIT.\\n\\npackage api\\n\\n// Input is the input.\\nconst Input = \"%s\"\\n' \"$(cat input.txt)\" > zz_input.go\n"
			f[apiDir+"zz_input.go"] = "// Code generated by gen.sh. DO NOT EDIT.\n\npackage api\n\n// Input is the input.\nconst Input = \"one\"\n"
		},
		steps:  []*build.Step{Codegen},
		mutate: func(t *testing.T, dir, _ string) { testws.Write(t, dir, testws.Files{apiDir + "input.txt": "two"}) },
	},
	{
		// Issue 31: a script's scratch copy holds git-ignored files, its
		// key ("every file") did not.
		name: "a script reads a git-ignored file",
		files: func(f testws.Files) {
			f[".gitignore"] = "hack/flag.txt\n"
			f["hack/flag.txt"] = "ok\n"
			f["hack/verify-flag.sh"] = "#!/bin/sh\ntest \"$(cat hack/flag.txt)\" = ok || { echo 'hack/flag.txt:1: not ok'; exit 1; }\n"
		},
		env: func(dir, _ string) []string {
			os.Chmod(filepath.Join(dir, "hack/verify-flag.sh"), 0o755)
			return nil
		},
		steps:  []*build.Step{Script{Name: "hack-flag", Verify: "hack/verify-flag.sh"}.Step()},
		mutate: func(t *testing.T, dir, _ string) { testws.Write(t, dir, testws.Files{"hack/flag.txt": "broken\n"}) },
	},
	{
		name:  "module identity: a failing module does not store its neighbour's pass under its key",
		steps: []*build.Step{Vet},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Write(t, dir, testws.Files{apiDir + "bad.go": "package api\n\nimport \"fmt\"\n\n// Bad is bad.\nfunc Bad() string { return fmt.Sprintf(\"%d\", \"x\") }\n"})
		},
	},
	{
		name:  "module identity: tidy",
		steps: []*build.Step{Tidy},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Replace(t, dir, apiDir+"go.mod", "require example.com/client v0.0.0\n", "")
		},
	},
	{
		name: "root configuration read for every module",
		files: func(f testws.Files) {
			f[apiDir+"types.go"] = "// Package api defines the types.\npackage api\n\n// Name is the API's name; we recieve it.\nconst Name = \"api\"\n"
			f[SpellingExceptions] = "recieve\n"
		},
		steps:  []*build.Step{Spelling},
		mutate: func(t *testing.T, dir, _ string) { testws.Write(t, dir, testws.Files{SpellingExceptions: "# none\n"}) },
	},
	{
		name:  "go.work replaces every module's dependency",
		files: withLib,
		steps: []*build.Step{Vet},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Write(t, dir, testws.Files{
				"third_party/lib2/go.mod": "module example.com/lib\n\ngo " + testws.GoVersion + "\n",
				"third_party/lib2/lib.go": "// Package lib lacks Go.\npackage lib\n",
			})
			testws.Replace(t, dir, "go.work", "use (", "replace example.com/lib v0.0.0 => ./third_party/lib2\n\nuse (")
		},
	},
	{
		name:  "a replaced directory's code",
		files: withLib,
		steps: []*build.Step{Vet},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Replace(t, dir, "third_party/lib/lib.go", "func Go()", "func Gone()")
		},
	},
	{
		name: "a replaced directory's license",
		files: func(f testws.Files) {
			withLib(f)
			f[LicensePolicyFile] = `{"allowed": ["MIT"], "replaceDefaults": true}`
		},
		steps: []*build.Step{Licenses},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Write(t, dir, testws.Files{"third_party/lib/LICENSE": bsdText})
		},
	},
	{
		// Found by TestStrictReads: the database's directory was checked
		// with a bare os.Stat, which no key covered.
		name:  "an empty LICENSES directory asks for the database",
		files: withLib,
		steps: []*build.Step{Licenses},
		mutate: func(t *testing.T, dir, _ string) {
			os.Mkdir(filepath.Join(dir, "LICENSES"), 0o755)
		},
	},
	{
		name: "a test reads a fixture beside it",
		files: func(f testws.Files) {
			f[clientDir+"fixture.txt"] = "ok\n"
			f[clientDir+"fixture_test.go"] = "package client\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\nfunc TestFixture(t *testing.T) {\n\tif b, _ := os.ReadFile(\"fixture.txt\"); string(b) != \"ok\\n\" {\n\t\tt.Fatalf(\"fixture: %q\", b)\n\t}\n}\n"
		},
		steps: []*build.Step{GoTest(TestConfig{})},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Write(t, dir, testws.Files{clientDir + "fixture.txt": "broken\n"})
		},
	},
	{
		name: "spelling exceptions named by a variable",
		files: func(f testws.Files) {
			f[apiDir+"types.go"] = strings.Replace(f[apiDir+"types.go"], "the API's name", "the API's name; we recieve it", 1)
		},
		env: func(_, out string) []string {
			os.WriteFile(filepath.Join(out, "exceptions.txt"), []byte("recieve\n"), 0o644)
			return []string{"HACKLESS_SPELLING_EXCEPTIONS=" + filepath.Join(out, "exceptions.txt")}
		},
		steps: []*build.Step{Spelling},
		mutate: func(t *testing.T, _, out string) {
			os.WriteFile(filepath.Join(out, "exceptions.txt"), []byte("# none\n"), 0o644)
		},
	},
	{
		name: "boilerplate templates in a directory named by a variable",
		env: func(_, out string) []string {
			os.MkdirAll(filepath.Join(out, "boilerplate"), 0o755)
			os.WriteFile(filepath.Join(out, "boilerplate", "boilerplate.sh.txt"), []byte("# Copyright YEAR The Authors.\n"), 0o644)
			return []string{"HACKLESS_BOILERPLATE_DIR=" + filepath.Join(out, "boilerplate")}
		},
		steps: []*build.Step{Boilerplate},
		mutate: func(t *testing.T, _, out string) {
			os.WriteFile(filepath.Join(out, "boilerplate", "boilerplate.go.txt"), []byte("/*\nCopyright YEAR The Authors.\n*/\n"), 0o644)
		},
	},
	{
		name:  "unwanted dependencies named by a variable",
		files: withLib,
		env: func(_, out string) []string {
			os.WriteFile(filepath.Join(out, "unwanted.json"), []byte("{\n  \"spec\": {\n    \"unwantedModules\": {}\n  },\n  \"status\": {}\n}\n"), 0o644)
			return []string{"HACKLESS_UNWANTED_DEPENDENCIES=" + filepath.Join(out, "unwanted.json")}
		},
		steps: []*build.Step{Deps},
		mutate: func(t *testing.T, _, out string) {
			os.WriteFile(filepath.Join(out, "unwanted.json"), []byte("{\n  \"spec\": {\n    \"unwantedModules\": {\n      \"example.com/lib\": \"no\"\n    }\n  },\n  \"status\": {}\n}\n"), 0o644)
		},
	},
	{
		name:  "license policy named by a variable",
		files: withLib,
		env: func(_, out string) []string {
			os.WriteFile(filepath.Join(out, "policy.json"), []byte(`{"allowed": ["MIT"], "replaceDefaults": true}`), 0o644)
			return []string{"HACKLESS_LICENSE_POLICY=" + filepath.Join(out, "policy.json")}
		},
		steps: []*build.Step{Licenses},
		mutate: func(t *testing.T, _, out string) {
			os.WriteFile(filepath.Join(out, "policy.json"), []byte(`{"allowed": ["BSD-3-Clause"], "replaceDefaults": true}`), 0o644)
		},
	},
	{
		name: "an embedded file",
		files: func(f testws.Files) {
			f[apiDir+"embed.go"] = "package api\n\nimport _ \"embed\"\n\n// Data is embedded.\n//\n//go:embed data.txt\nvar Data string\n"
			f[apiDir+"data.txt"] = "data\n"
		},
		steps:  []*build.Step{Vet},
		mutate: func(t *testing.T, dir, _ string) { os.Remove(filepath.Join(dir, apiDir+"data.txt")) },
	},
	{
		name: "a git-ignored Go file",
		files: func(f testws.Files) {
			f[".gitignore"] += "zz_gen.go\n"
			f[apiDir+"zz_gen.go"] = "package api\n\n// Gen is generated.\nfunc Gen() string { return \"gen\" }\n"
		},
		steps: []*build.Step{Vet},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Write(t, dir, testws.Files{apiDir + "zz_gen.go": "package api\n\nimport \"fmt\"\n\n// Gen is generated.\nfunc Gen() string { return fmt.Sprintf(\"%d\", \"x\") }\n"})
		},
	},
	{
		name: "a workspace module imported without a requirement",
		files: func(f testws.Files) {
			f["go.work"] = strings.Replace(f["go.work"], ")", "\t./staging/src/example.com/extra\n)", 1)
			f["staging/src/example.com/extra/go.mod"] = "module example.com/extra\n\ngo " + testws.GoVersion + "\n"
			f["staging/src/example.com/extra/extra.go"] = "// Package extra is not required by anyone.\npackage extra\n\n// Hello says hello.\nfunc Hello() string { return \"hello\" }\n"
			f["cmd/root/extra.go"] = "package main\n\nimport \"example.com/extra\"\n\nvar _ = extra.Hello()\n"
		},
		steps: []*build.Step{Vet},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Replace(t, dir, "staging/src/example.com/extra/extra.go", "func Hello() string", "func Hello(name string) string")
		},
	},
	{
		name: "a package two imports away (per-package keys)",
		files: func(f testws.Files) {
			f[apiDir+"value.go"] = "package api\n\n// V is a value.\nvar V = 1\n"
			f[clientDir+"value.go"] = "package client\n\nimport \"example.com/api\"\n\n// V is api's.\nvar V = api.V\n"
			f["cmd/root/value.go"] = "package main\n\nimport \"example.com/client\"\n\nvar _ int = client.V\n"
		},
		steps: []*build.Step{Vet, Typecheck},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Replace(t, dir, apiDir+"value.go", "var V = 1", "var V = \"one\"")
		},
	},
	{
		name: "a package a test file imports (per-package keys)",
		files: func(f testws.Files) {
			f[clientDir+"count.go"] = "package client\n\n// Count counts.\nfunc Count() int { return 1 }\n"
			f[apiDir+"helpers/helpers_test.go"] = "package helpers_test\n\nimport \"example.com/client\"\n\nvar _ int = client.Count()\n"
		},
		steps: []*build.Step{Vet, Typecheck},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Replace(t, dir, clientDir+"count.go", "func Count() int { return 1 }", "func Count() string { return \"1\" }")
		},
	},
	{
		name: "lint: an imported function starts returning an error (per-package keys)",
		files: func(f testws.Files) {
			f[".golangci.yaml"] = "version: \"2\"\nlinters:\n  default: none\n  enable:\n    - errcheck\n"
			f[apiDir+"do.go"] = "package api\n\n// Do does.\nfunc Do() {}\n"
			f[clientDir+"do.go"] = "package client\n\nimport \"example.com/api\"\n\n// Do does what api does.\nfunc Do() { api.Do() }\n"
		},
		steps: []*build.Step{Lint},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Replace(t, dir, apiDir+"do.go", "func Do() {}", "func Do() error { return nil }")
		},
	},
	{
		name: "a package only one platform builds, checked alone (per-package keys)",
		files: func(f testws.Files) {
			f["hackless.yaml"] = "typecheck:\n  platforms: [linux/amd64, windows/amd64]\n"
			f[clientDir+"winonly/winonly_windows.go"] = "// Package winonly is for Windows.\npackage winonly\n\n// W is one.\nconst W = 1\n"
		},
		steps: []*build.Step{Vet, Typecheck},
		mutate: func(t *testing.T, dir, _ string) {
			testws.Replace(t, dir, clientDir+"winonly/winonly_windows.go", "const W = 1", "const W int = \"one\"")
		},
	},
}

func TestCacheNeverLies(t *testing.T) {
	t.Parallel()
	for _, c := range cacheCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			truth := checkCache(t, c)
			failed := false
			for _, r := range truth {
				failed = failed || r.Status == build.Failed
			}
			if !failed {
				t.Errorf("the change makes no step fail: the case tests nothing")
			}
		})
	}
}

// TestUncachedSteps: test, build, review and download are never cached by
// hackless (go test caches itself; build's result is its binaries and git
// stamps; review reads git history; download fills the module cache).
func TestUncachedSteps(t *testing.T) {
	for _, s := range append([]*build.Step{GoTest(TestConfig{}), Download, Review(ReviewConfig{})}, GoBuild(BuildConfig{})...) {
		if !s.Uncached {
			t.Errorf("%s may be cached", s.Name)
		}
	}
	// build after clean: the binary is there again.
	dir := testws.New(t, testws.Staging())
	testws.Git(t, dir)
	cacheDir := t.TempDir()
	steps := GoBuild(BuildConfig{})
	for i := range 2 {
		res, log := diffRun(t, dir, os.Environ(), cacheDir, steps)
		for _, r := range res {
			if r.Cached || r.Status != build.Passed {
				t.Fatalf("build run %d: %+v\n%s", i+1, r, log)
			}
		}
		bins, _ := filepath.Glob(filepath.Join(dir, "_output", "bin", "*", "root*"))
		if len(bins) != 1 {
			t.Fatalf("build run %d: binaries %q\n%s", i+1, bins, log)
		}
		os.RemoveAll(filepath.Join(dir, "_output", "bin")) // clean
	}
}

// TestCacheDirOutsideTheWorkspace: a cache directory inside the tree, or
// one that is a file, runs without the cache and says so.
func TestCacheDirOutsideTheWorkspace(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Git(t, dir)
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	for _, cacheDir := range []string{filepath.Join(dir, ".cache"), file} {
		res, log := diffRun(t, dir, os.Environ(), cacheDir, []*build.Step{Gofmt})
		res, log = diffRun(t, dir, os.Environ(), cacheDir, []*build.Step{Gofmt})
		if res["gofmt"].Cached || !strings.Contains(log, "warning: cache: ") || !strings.Contains(log, "running without the cache") {
			t.Errorf("cache dir %s:\n%s", cacheDir, log)
		}
	}
}

// TestEditDuringRunIsNotStored reproduces the poisoned entry: a file is
// fixed while vet runs (so vet passes) and broken again before the run
// ends; the pass must not be stored under the broken file's key.
func TestEditDuringRunIsNotStored(t *testing.T) {
	files := testws.Staging()
	bad := "package api\n\nimport \"fmt\"\n\n// Bad is bad.\nfunc Bad() string { return fmt.Sprintf(\"%d\", \"x\") }\n"
	good := strings.Replace(bad, `"%d"`, `"%s"`, 1)
	files[apiDir+"bad.go"] = bad
	dir := testws.New(t, files)
	testws.Git(t, dir)
	cacheDir := t.TempDir()
	// vet, with the edit and its undoing done by a step that runs before
	// the go command starts and one that runs after it ends.
	fix := &build.Step{Name: "fix", Run: func(p *build.Pass) error {
		return os.WriteFile(filepath.Join(dir, apiDir+"bad.go"), []byte(good), 0o644)
	}}
	vet := *Vet
	vet.Requires = []*build.Step{fix}
	restore := &build.Step{Name: "restore", Requires: []*build.Step{&vet}, Run: func(p *build.Pass) error {
		time.Sleep(10 * time.Millisecond)
		return os.WriteFile(filepath.Join(dir, apiDir+"bad.go"), []byte(bad), 0o644)
	}}
	res, log := diffRun(t, dir, os.Environ(), cacheDir, []*build.Step{fix, &vet, restore})
	if res["vet"].Status != build.Passed || !strings.Contains(log, "changed while the run went on") {
		t.Fatalf("the run with the fix should pass vet and warn:\n%s", log)
	}
	res, log = diffRun(t, dir, os.Environ(), cacheDir, []*build.Step{Vet})
	if r := res["vet"]; r.Cached || r.Status != build.Failed {
		t.Errorf("after the file was broken again: %+v\n%s", r, log)
	}
}

// TestTidyKeysOnImports: an edit below the imports keeps tidy's pass; a
// new import runs it again.
func TestTidyKeysOnImports(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Git(t, dir)
	cacheDir := t.TempDir()
	const types = "staging/src/example.com/api/types.go"
	if res, log := diffRun(t, dir, os.Environ(), cacheDir, []*build.Step{Tidy}); res["tidy"].Status != build.Passed {
		t.Fatalf("first run:\n%s", log)
	}
	testws.Write(t, dir, testws.Files{types: "// Package api defines the types.\npackage api\n\n// Name is the API's name, changed.\nconst Name = \"api2\"\n"})
	if res, log := diffRun(t, dir, os.Environ(), cacheDir, []*build.Step{Tidy}); !fromCache(res["tidy"]) {
		t.Errorf("a code edit ran tidy again:\n%s", log)
	}
	testws.Write(t, dir, testws.Files{types: "// Package api defines the types.\npackage api\n\nimport \"rsc.io/quote\"\n\n// Name is the API's name.\nvar Name = quote.Go()\n"})
	res, log := diffRun(t, dir, os.Environ(), cacheDir, []*build.Step{Tidy})
	if fromCache(res["tidy"]) || res["tidy"].Status != build.Failed {
		t.Errorf("a new import kept tidy's pass:\n%s", log)
	}
}
