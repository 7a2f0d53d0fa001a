// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hackless/hackless/internal/testws"
)

// age makes a file old enough for its stat to be trusted.
func age(t *testing.T, dir string, files ...string) {
	old := time.Now().Add(-time.Minute)
	for _, f := range files {
		os.Chtimes(filepath.Join(dir, f), old, old)
	}
}

func TestCache(t *testing.T) {
	dir := tinyWorkspace(t)
	cacheDir := t.TempDir()
	var runs atomic.Int32
	fail := false
	step := &Step{Name: "count", Inputs: Inputs{Files: []string{"**/*.txt"}}, Run: func(p *Pass) error {
		runs.Add(1)
		p.Notef("saw %d", runs.Load())
		if fail {
			p.Reportf(Position{File: "a.txt"}, "bad")
		}
		return nil
	}}
	opts := Options{CacheDir: cacheDir}

	rep, _ := run(t, dir, opts, step)
	if runs.Load() != 1 || rep.Results[0].Cached {
		t.Fatalf("first run: %d runs, cached=%v", runs.Load(), rep.Results[0].Cached)
	}
	rep, out := run(t, dir, opts, step)
	if r := rep.Results[0]; runs.Load() != 1 || !r.Cached || r.Status != Passed || r.Notes[0] != "saw 1" {
		t.Fatalf("second run: %d runs, %+v\n%s", runs.Load(), r, out)
	}

	// A changed input: run again, and say why.
	testws.Write(t, dir, testws.Files{"a.txt": "new\n"})
	rep, out = run(t, dir, opts, step)
	if r := rep.Results[0]; runs.Load() != 2 || r.Cached || r.CacheNote != "file:a.txt changed" {
		t.Errorf("after a change: %d runs, note %q\n%s", runs.Load(), r.CacheNote, out)
	}
	// An input that is not declared does not matter.
	testws.Write(t, dir, testws.Files{"b.md": "x\n"})
	if run(t, dir, opts, step); runs.Load() != 2 {
		t.Error("an undeclared file invalidated the cache")
	}
	// The Go runtime's resource settings are no input: a run that bounds
	// GOMAXPROCS shares the entry. (The caller's GOOS is removed.)
	bounded := opts
	bounded.Env = append(os.Environ(), "GOMAXPROCS=1", "GOMEMLIMIT=1GiB", "GOGC=50")
	if rep, out := run(t, dir, bounded, step); runs.Load() != 2 || !rep.Results[0].Cached {
		t.Errorf("GOMAXPROCS, GOMEMLIMIT or GOGC invalidated the cache:\n%s", out)
	}
	other := opts
	other.Env = append(os.Environ(), "GOOS=windows")
	if rep, _ := run(t, dir, other, step); runs.Load() != 2 || !rep.Results[0].Cached {
		t.Error("GOOS of the caller is not removed")
	}

	// Failures are not cached.
	fail = true
	testws.Write(t, dir, testws.Files{"a.txt": "failing\n"})
	run(t, dir, opts, step)
	rep, _ = run(t, dir, opts, step)
	if runs.Load() != 4 || rep.Results[0].Status != Failed {
		t.Errorf("a failure was cached: %d runs", runs.Load())
	}

	// Corrupt entries are misses, never passes.
	fail = false
	run(t, dir, opts, step) // a pass, stored
	filepath.Walk(filepath.Join(cacheDir, "entries"), func(p string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-5], 0o644)
		}
		return nil
	})
	before := runs.Load()
	rep, _ = run(t, dir, opts, step)
	if r := rep.Results[0]; runs.Load() != before+1 || r.Cached || r.CacheNote != "the cache entry was corrupt and is ignored" {
		t.Errorf("a truncated entry: runs %d -> %d, %+v", before, runs.Load(), r)
	}

	// No cache dir, or an update: always run.
	before = runs.Load()
	run(t, dir, Options{}, step)
	run(t, dir, Options{Mode: Update, CacheDir: cacheDir}, step)
	if runs.Load() != before+2 {
		t.Error("a run without the cache, or an update, used it")
	}
}

func TestCacheModuleScope(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	files := []string{"cmd/root/main.go", "staging/src/example.com/api/types.go", "staging/src/example.com/client/client.go"}
	age(t, dir, files...)
	cacheDir := t.TempDir()
	var mu sync.Mutex
	var seen []string
	var finding string
	step := func(scope Scope) *Step {
		return &Step{Name: "permodule", Scope: scope, Inputs: Inputs{Files: []string{"**/*.go", "**/go.mod"}}, Run: func(p *Pass) error {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range p.Modules() {
				seen = append(seen, m.Path)
			}
			if finding != "" {
				p.Reportf(Position{File: finding}, "bad")
			}
			return nil
		}}
	}
	runOnce := func(s *Step) string {
		seen = nil
		run(t, dir, Options{CacheDir: cacheDir}, s)
		return strings.Join(seen, " ")
	}
	mod := step(ScopeModule)
	if got := runOnce(mod); got != "example.com/root example.com/api example.com/client" {
		t.Fatalf("first run saw %q", got)
	}
	if got := runOnce(mod); got != "" {
		t.Errorf("nothing changed, but the step saw %q", got)
	}
	testws.Write(t, dir, testws.Files{"staging/src/example.com/client/client.go": "package client\n\n// changed\n"})
	if got := runOnce(mod); got != "example.com/client" {
		t.Errorf("one module changed, the step saw %q", got)
	}

	// With dependencies: client is required by api and root.
	deps := step(ScopeModuleDeps)
	deps.Name = "permoduledeps"
	runOnce(deps)
	testws.Write(t, dir, testws.Files{"staging/src/example.com/client/client.go": "package client\n\n// changed again\n"})
	if got := runOnce(deps); got != "example.com/root example.com/api example.com/client" {
		t.Errorf("a shared module changed, the step saw %q", got)
	}
	testws.Write(t, dir, testws.Files{"cmd/root/main.go": "package main\n\nfunc main() {}\n"})
	if got := runOnce(deps); got != "example.com/root" {
		t.Errorf("the root changed, the step saw %q", got)
	}

	// A finding keeps its module out of the cache, not the others.
	testws.Write(t, dir, testws.Files{"staging/src/example.com/api/types.go": "package api\n\n// x\n", "cmd/root/main.go": "package main\n\n// y\nfunc main() {}\n"})
	finding = "staging/src/example.com/api/types.go"
	runOnce(mod)
	finding = ""
	if got := runOnce(mod); got != "example.com/api" {
		t.Errorf("after a failure in api, the step saw %q", got)
	}
}

// TestCacheFailuresAreWarnings: a cache that cannot be read or written
// makes the run say so, once, and the steps still run.
func TestCacheFailuresAreWarnings(t *testing.T) {
	dir := tinyWorkspace(t)
	cacheDir := t.TempDir()
	step := &Step{Name: "ok", Inputs: Inputs{Files: []string{"**/*.txt"}}, Run: func(p *Pass) error { return nil }}
	opts := Options{CacheDir: cacheDir}
	if rep, out := run(t, dir, opts, step); len(rep.Warnings) > 0 {
		t.Fatalf("a working cache warned:\n%s", out)
	}
	// Every directory of entries becomes a file: nothing can be read or
	// stored there.
	entries := filepath.Join(cacheDir, "entries")
	if err := os.RemoveAll(entries); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(entries, 0o755)
	for i := 0; i < 256; i++ {
		if err := os.WriteFile(filepath.Join(entries, fmt.Sprintf("%02x", i)), []byte("not a directory\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep, out := run(t, dir, opts, step)
	if r := rep.Results[0]; r.Cached || r.Status != Passed {
		t.Fatalf("the step did not run: %+v\n%s", r, out)
	}
	warnings := strings.Join(rep.Warnings, "\n")
	for _, want := range []string{"cache: cannot read entries:", "cache: nothing more stored:"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("no warning %q:\n%s", want, out)
		}
	}
}

// TestCacheSharedByConcurrentRuns: clones of one repository, run at once
// against one cache directory, each get their own verdict every time:
// what one stores never answers for another's different content.
func TestCacheSharedByConcurrentRuns(t *testing.T) {
	cacheDir := t.TempDir()
	step := &Step{Name: "nobad", Inputs: Inputs{Files: []string{"**/*.txt"}}, Run: func(p *Pass) error {
		b, err := p.ReadFile("a.txt")
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "bad") {
			p.Reportf(Position{File: "a.txt", Line: 1}, "bad")
		}
		return nil
	}}
	const clones, rounds = 4, 12
	var wg sync.WaitGroup
	for c := 0; c < clones; c++ {
		dir := tinyWorkspace(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				// Clones alternate between the same two contents, out of
				// step with each other.
				bad := (r+c)%3 == 0
				content := map[bool]string{false: "good\n", true: "bad\n"}[bad]
				if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte(content), 0o644); err != nil {
					t.Error(err)
					return
				}
				age(t, dir, "a.txt")
				out := &textProgress{}
				rep, err := Run(context.Background(), Options{Dir: dir, Progress: out, CacheDir: cacheDir}, step)
				if err != nil {
					t.Error(err)
					return
				}
				if got := rep.Results[0].Status == Failed; got != bad {
					t.Errorf("clone %d round %d: failed=%v for content %q\n%s", c, r, got, content, out.String())
				}
				for _, w := range rep.Warnings {
					t.Errorf("clone %d round %d: warning %s", c, r, w)
				}
			}
		}()
	}
	wg.Wait()
}

// TestToolsKeyedByDeclaration: a step of an adopter's own that runs a
// program of its own re-runs when that program changes: by the version it
// reports, or, declared without a version command, by its executable.
func TestToolsKeyedByDeclaration(t *testing.T) {
	dir := tinyWorkspace(t)
	bin := t.TempDir()
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	write := func(name, script string) {
		p := filepath.Join(bin, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-time.Minute)
		os.Chtimes(p, old, old)
	}
	write("mytool", "echo mytool 1.0\n")
	write("other", "exit 0\n")
	var runs atomic.Int32
	step := &Step{Name: "mine", Inputs: Inputs{Tools: []Tool{{Name: "mytool", Version: []string{"--version"}}, {Name: "other"}}}, Run: func(p *Pass) error {
		runs.Add(1)
		return nil
	}}
	opts := Options{CacheDir: t.TempDir(), Env: env}
	for i, tc := range []struct {
		change func()
		runs   int32
		note   string
	}{
		{func() {}, 1, ""},
		{func() {}, 1, ""},
		{func() { write("mytool", "echo mytool 2.0\n") }, 2, "tool:mytool changed"},
		{func() { write("mytool", "echo mytool 2.0 # same version\n") }, 2, ""},
		{func() { write("other", "exit 0 # new build\n") }, 3, "tool:other changed"},
	} {
		tc.change()
		rep, out := run(t, dir, opts, step)
		if runs.Load() != tc.runs || !strings.Contains(rep.Results[0].CacheNote, tc.note) {
			t.Errorf("run %d: %d runs (want %d), note %q (want %q)\n%s", i, runs.Load(), tc.runs, rep.Results[0].CacheNote, tc.note, out)
		}
	}
	// A tool that cannot be asked leaves the step without a key: it runs
	// every time, and the run says why.
	step.Inputs.Tools = append(step.Inputs.Tools, Tool{Name: "absent-tool", Version: []string{"--version"}})
	for i := range 2 {
		before := runs.Load()
		rep, out := run(t, dir, opts, step)
		if runs.Load() != before+1 || !strings.Contains(strings.Join(rep.Warnings, "\n"), `cache: no key for mine, so it ran uncached: the version of absent-tool: exec: "absent-tool"`) {
			t.Errorf("absent tool, run %d:\n%s", i, out)
		}
	}
}

// TestNotCached: a pass whose step said NotCached is not stored, for a
// workspace-scoped and for a module-scoped step.
func TestNotCached(t *testing.T) {
	for _, scope := range []Scope{ScopeWorkspace, ScopeModule} {
		dir := tinyWorkspace(t)
		cacheDir := t.TempDir()
		var runs atomic.Int32
		step := &Step{Name: "remote", Scope: scope, Inputs: Inputs{Files: []string{"**/*.go"}}, Run: func(p *Pass) error {
			runs.Add(1)
			p.NotCached("the database was read over the network")
			return nil
		}}
		for range 2 {
			rep, out := run(t, dir, Options{CacheDir: cacheDir}, step)
			if r := rep.Results[0]; r.Cached || r.Status != Passed || r.CacheNote != "not cached: the database was read over the network" {
				t.Fatalf("scope %d: %+v\n%s", scope, r, out)
			}
		}
		if runs.Load() != 2 {
			t.Errorf("scope %d: %d runs, want 2", scope, runs.Load())
		}
	}
}

// TestCacheNarrowsToImportedPackages: for a step that type-checks each
// module with its dependencies, another module's Go files count only in
// the packages the module imports, directly or not.
func TestCacheNarrowsToImportedPackages(t *testing.T) {
	files := testws.Staging()
	files["staging/src/example.com/api/unused/unused.go"] = "// Package unused is imported by no one.\npackage unused\n"
	dir := testws.New(t, files)
	cacheDir := t.TempDir()
	var mu sync.Mutex
	var seen []string
	step := &Step{Name: "typed", Scope: ScopeModuleDeps, Inputs: Inputs{Go: true}, Run: func(p *Pass) error {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range p.Modules() {
			seen = append(seen, m.Path)
		}
		return nil
	}}
	runOnce := func() string {
		seen = nil
		run(t, dir, Options{CacheDir: cacheDir}, step)
		slices.Sort(seen)
		return strings.Join(seen, " ")
	}
	runOnce()
	for _, c := range []struct {
		file, content, want string
	}{
		// imported by no module: only its own module runs
		{"staging/src/example.com/api/unused/unused.go", "// Package unused is still imported by no one.\npackage unused\n", "example.com/api"},
		// api/helpers is imported by the root only (and client's
		// tests do not count for others)
		{"staging/src/example.com/api/helpers/helpers.go", "// Package helpers uses the client.\npackage helpers\n\nimport \"example.com/client\"\n\n// Describe describes the client, changed.\nfunc Describe() string { return client.Describe() }\n", "example.com/api example.com/root"},
		// api is imported by client, which root and helpers import
		{"staging/src/example.com/api/types.go", "// Package api defines the types.\npackage api\n\n// Name is the API's name, changed.\nconst Name = \"api\"\n", "example.com/api example.com/client example.com/root"},
		// a new import brings unused into root's closure
		{"cmd/root/main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/api/helpers\"\n\t_ \"example.com/api/unused\"\n\t\"example.com/client\"\n)\n\nfunc main() {\n\tfmt.Println(helpers.Describe(), client.Describe())\n}\n", "example.com/root"},
		{"staging/src/example.com/api/unused/unused.go", "// Package unused is imported by the root now.\npackage unused\n", "example.com/api example.com/root"},
	} {
		testws.Write(t, dir, testws.Files{c.file: c.content})
		if got := runOnce(); got != c.want {
			t.Errorf("after an edit of %s the step saw %q, want %q", c.file, got, c.want)
		}
	}
}

// TestPackageEditDuringRun: a package-scoped pass is not stored when the
// code of a package it imports was written while the run went on, though
// its own files were not: else, with that code written back, the pass
// would serve a key whose inputs the check never saw.
func TestPackageEditDuringRun(t *testing.T) {
	dir := tinyWorkspace(t)
	testws.Write(t, dir, testws.Files{
		"a/a.go": "package a\n\n// A is a.\nconst A = 1\n",
		"b/b.go": "package b\n\nimport \"example.com/tiny/a\"\n\n// B is a's.\nconst B = a.A\n",
	})
	age(t, dir, "a/a.go", "b/b.go")
	cacheDir := t.TempDir()
	var mu sync.Mutex
	var checked [][]string
	edit := false
	step := &Step{Name: "pkgs", Scope: ScopePackage, Inputs: Inputs{Go: true}, Run: func(p *Pass) error {
		mu.Lock()
		defer mu.Unlock()
		checked = append(checked, p.GoPatterns())
		if edit {
			edit = false
			f, err := os.OpenFile(filepath.Join(dir, "a/a.go"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("\n// written while the run went on\n")
			return err
		}
		return nil
	}}
	opts := Options{CacheDir: cacheDir}
	edit = true
	run(t, dir, opts, step) // stores nothing: a changed during the run, and b imports a
	// a as it was when the run started: b's key is what it was then, and
	// b's check saw another a.
	testws.Write(t, dir, testws.Files{"a/a.go": "package a\n\n// A is a.\nconst A = 1\n"})
	rep, out := run(t, dir, opts, step)
	if rep.Results[0].Cached {
		t.Fatalf("the second run was cached though a/a.go changed during the first:\n%s", out)
	}
	if got := checked[len(checked)-1]; !slices.Equal(got, []string{"./..."}) {
		t.Errorf("the second run checked %q; want the whole module (a and b both missed)", got)
	}
	if rep, out := run(t, dir, opts, step); !rep.Results[0].Cached {
		t.Errorf("the third run was not cached:\n%s", out)
	}
}
