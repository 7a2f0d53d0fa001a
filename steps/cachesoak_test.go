// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

// soakWorkspace is the staging workspace with every trait the mutation
// catalog toggles: a module outside the workspace replaced in, with a
// license; an embedded file; a git-ignored Go file; spelling exceptions at
// the root and in a file named by a variable; a module imported without a
// requirement; a license policy and an unwanted-dependencies file.
func soakWorkspace(f testws.Files) {
	withLib(f)
	f[LicensePolicyFile] = `{"allowed": ["MIT"], "replaceDefaults": true}`
	f[apiDir+"embed.go"] = "package api\n\nimport _ \"embed\"\n\n// Data is embedded.\n//\n//go:embed data.txt\nvar Data string\n"
	f[apiDir+"data.txt"] = "data\n"
	f[".gitignore"] += "zz_gen.go\n"
	f[clientDir+"zz_gen.go"] = soakGen
	f[SpellingExceptions] = "recieve\n"
	f[apiDir+"types.go"] = "// Package api defines the types.\npackage api\n\n// Name is the API's name; we recieve it.\nconst Name = \"api\"\n"
	f["go.work"] = strings.Replace(f["go.work"], ")", "\t./staging/src/example.com/extra\n)\n\n// hackless:exclude ./third_party/lib\n// hackless:exclude ./third_party/lib2", 1)
	// Every module that reaches lib or extra replaces it, so that each is
	// tidy on its own; TestCacheSoak tidies them before committing.
	f["go.mod"] = strings.Replace(f["go.mod"], "replace (\n", "replace (\n\texample.com/extra => ./staging/src/example.com/extra\n\texample.com/lib => ./third_party/lib\n", 1)
	f[clientDir+"go.mod"] += "\nreplace example.com/lib => ../../../../third_party/lib\n"
	f["staging/src/example.com/extra/go.mod"] = "module example.com/extra\n\ngo " + testws.GoVersion + "\n"
	f["staging/src/example.com/extra/extra.go"] = soakExtra
	f["cmd/root/extra.go"] = "package main\n\nimport \"example.com/extra\"\n\nvar _ = extra.Hello()\n"
	f["README.md"] = "# soak\n\nA workspace.\n"
	f[UnwantedFile] = soakUnwanted
}

const (
	soakGen      = "package client\n\n// Gen is generated.\nfunc Gen() string { return \"gen\" }\n"
	soakLinked   = "// Package linked lives outside the tree, behind a symlink.\npackage linked\n\n// X is x.\nconst X = 1\n"
	soakExtra    = "// Package extra is not required by anyone.\npackage extra\n\n// Hello says hello.\nfunc Hello() string { return \"hello\" }\n"
	soakUnwanted = "{\n  \"spec\": {\n    \"unwantedModules\": {}\n  },\n  \"status\": {}\n}\n"
	printfBug    = "import \"fmt\"\n\n// Bad is bad.\nfunc Bad() string { return fmt.Sprintf(\"%d\", \"x\") }\n"
)

// soak is the state of one differential run: the workspace, the caller's
// environment, and what the mutations toggled.
type soak struct {
	t        *testing.T
	dir, out string
	env      []string
	useVar   bool // HACKLESS_SPELLING_EXCEPTIONS names the file in out
	rnd      *rand.Rand
	base     map[string]string // committed contents of files the mutations toggle
}

// A soakMutation changes the workspace (or the environment) in a way that
// may change a verdict; most toggle, so that verdicts go back and forth.
type soakMutation struct {
	name  string
	apply func(s *soak)
}

// toggle writes one of two contents into a file, whichever it does not
// hold; "" removes the file. rel is root-relative, or absolute for a
// file outside the tree.
func (s *soak) toggle(rel, a, b string) {
	p := rel // a file outside the tree
	if !filepath.IsAbs(rel) {
		p = filepath.Join(s.dir, filepath.FromSlash(rel))
	}
	cur, err := os.ReadFile(p)
	next := a
	if err == nil && string(cur) == a {
		next = b
	}
	if next == "" {
		os.Remove(p)
		return
	}
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(next), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *soak) goFiles() []string {
	var out []string
	filepath.WalkDir(s.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && (d.Name() == ".git" || d.Name() == "_output") {
			return filepath.SkipDir
		}
		if err == nil && strings.HasSuffix(p, ".go") && !strings.Contains(p, "third_party") {
			rel, _ := filepath.Rel(s.dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func (s *soak) pick(list []string) string { return list[s.rnd.IntN(len(list))] }

var soakModules = []string{"cmd/root/", apiDir, clientDir, "staging/src/example.com/extra/"}

var soakCatalog = []soakMutation{
	{"printf bug in a module", func(s *soak) {
		m := s.pick(soakModules)
		pkg := map[string]string{"cmd/root/": "main", apiDir: "api", clientDir: "client", "staging/src/example.com/extra/": "extra"}[m]
		s.toggle(m+"zz_bad.go", "package "+pkg+"\n\n"+printfBug, "")
	}},
	{"unformatted file", func(s *soak) {
		f := s.pick(s.goFiles())
		p := filepath.Join(s.dir, f)
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte("\n\n\n\n")) {
			b = bytes.Replace(b, []byte("\n\n\n\n"), []byte("\n\n"), 1)
		} else {
			b = bytes.Replace(b, []byte("\n\n"), []byte("\n\n\n\n"), 1)
		}
		os.WriteFile(p, b, 0o644)
	}},
	{"misspelling in a module's comment", func(s *soak) {
		m := s.pick(soakModules)
		pkg := map[string]string{"cmd/root/": "main", apiDir: "api", clientDir: "client", "staging/src/example.com/extra/": "extra"}[m]
		s.toggle(m+"zz_typo.go", "// Typo: we acheive it.\npackage "+pkg+"\n", "")
	}},
	{"misspelling in Markdown", func(s *soak) {
		s.toggle("README.md", "# soak\n\nA workspace.\n", "# soak\n\nA workspace we acheive.\n")
	}},
	{"root spelling exceptions", func(s *soak) { s.toggle(SpellingExceptions, "recieve\n", "# none\n") }},
	{"spelling exceptions named by a variable: content", func(s *soak) {
		s.toggle(filepath.Join(s.out, "exceptions.txt"), "recieve\n", "# none\n")
	}},
	{"spelling exceptions named by a variable: the variable", func(s *soak) { s.useVar = !s.useVar }},
	{"go.work replace to a copy without Go", func(s *soak) {
		s.toggle("third_party/lib2/go.mod", "module example.com/lib\n\ngo "+testws.GoVersion+"\n", "module example.com/lib\n\ngo "+testws.GoVersion+"\n")
		s.toggle("third_party/lib2/lib.go", "// Package lib lacks Go.\npackage lib\n", "// Package lib lacks Go.\npackage lib\n")
		work := s.base["go.work"]
		s.toggle("go.work", work, strings.Replace(work, "use (", "replace example.com/lib v0.0.0 => ./third_party/lib2\n\nuse (", 1))
	}},
	{"replaced directory's code", func(s *soak) {
		s.toggle("third_party/lib/lib.go", "// Package lib is replaced in.\npackage lib\n\n// Go says go.\nfunc Go() string { return \"go\" }\n", "// Package lib is replaced in.\npackage lib\n\n// Gone says go.\nfunc Gone() string { return \"go\" }\n")
	}},
	{"replaced directory's license", func(s *soak) { s.toggle("third_party/lib/LICENSE", mitText, bsdText) }},
	{"embedded file deleted", func(s *soak) { s.toggle(apiDir+"data.txt", "data\n", "") }},
	{"symlinked package directory's code", func(s *soak) {
		s.toggle(filepath.Join(s.out, "linked", "linked.go"), soakLinked, soakLinked+"\n"+printfBug)
	}},
	{"git-ignored Go file", func(s *soak) {
		s.toggle(clientDir+"zz_gen.go", soakGen, "package client\n\n"+printfBug)
	}},
	{"rename a Go file", func(s *soak) {
		f := s.pick(s.goFiles())
		to := strings.TrimSuffix(f, ".go") + "_r.go"
		if strings.HasSuffix(f, "_r.go") {
			to = strings.TrimSuffix(f, "_r.go") + ".go"
		}
		os.Rename(filepath.Join(s.dir, f), filepath.Join(s.dir, to))
	}},
	{"same-size edit with its times restored", func(s *soak) {
		f := s.pick(s.goFiles())
		p := filepath.Join(s.dir, f)
		fi, err := os.Stat(p)
		if err != nil {
			return
		}
		b, _ := os.ReadFile(p)
		if i := bytes.Index(b, []byte(`"%d"`)); i >= 0 {
			b[i+2] = 's'
		} else if i := bytes.Index(b, []byte(`"%s"`)); i >= 0 {
			b[i+2] = 'd'
		} else if i := bytes.Index(b, []byte("func ")); i >= 0 {
			b[i] = 'F' // breaks the file: "Func" is no keyword
		} else if i := bytes.Index(b, []byte("Func ")); i >= 0 {
			b[i] = 'f'
		}
		os.WriteFile(p, b, fi.Mode())
		os.Chtimes(p, fi.ModTime(), fi.ModTime())
	}},
	{"untidy go.mod", func(s *soak) {
		mod := s.base[apiDir+"go.mod"]
		s.toggle(apiDir+"go.mod", mod, strings.Replace(mod, "\texample.com/client v0.0.0\n", "", 1))
	}},
	{"workspace module imported without a requirement changes its API", func(s *soak) {
		s.toggle("staging/src/example.com/extra/extra.go", soakExtra, strings.Replace(soakExtra, "func Hello() string", "func Hello(name string) string", 1))
	}},
	{"new workspace module", func(s *soak) {
		s.toggle("staging/src/example.com/more/go.mod", "module example.com/more\n\ngo "+testws.GoVersion+"\n", "")
		s.toggle("staging/src/example.com/more/more.go", "// Package more is new.\npackage more\n\n"+strings.TrimPrefix(printfBug, "import \"fmt\"\n\n")+"\nvar _ = fmt.Sprint\n", "")
		if _, err := os.Stat(filepath.Join(s.dir, "staging/src/example.com/more/more.go")); err == nil {
			testws.Replace(s.t, s.dir, "staging/src/example.com/more/more.go", "package more\n", "package more\n\nimport \"fmt\"\n")
		}
	}},
	{"unwanted dependency", func(s *soak) {
		s.toggle(UnwantedFile, soakUnwanted, strings.Replace(soakUnwanted, "\"unwantedModules\": {}", "\"unwantedModules\": {\n      \"example.com/lib\": \"no\"\n    }", 1))
	}},
	{"import restriction", func(s *soak) {
		s.toggle(apiDir+"helpers/.import-restrictions", "rules:\n  - selectorRegexp: example[.]com/client\n    forbiddenPrefixes:\n      - example.com/client\n", "")
	}},
	{"license policy", func(s *soak) {
		s.toggle(LicensePolicyFile, `{"allowed": ["MIT"], "replaceDefaults": true}`, `{"allowed": ["BSD-3-Clause"], "replaceDefaults": true}`)
	}},
	{"an imported package's API (every importer, transitively)", func(s *soak) {
		s.toggle(apiDir+"types.go", "// Package api defines the types.\npackage api\n\n// Name is the API's name.\nconst Name = 1\n", "// Package api defines the types.\npackage api\n\n// Name is the API's name.\nconst Name = \"api\"\n")
	}},
	{"a new package that imports another module's", func(s *soak) {
		s.toggle(clientDir+"newpkg/new.go", "// Package newpkg is new.\npackage newpkg\n\nimport \"example.com/api/helpers\"\n\nvar _ int = len(helpers.Describe())\n", "// Package newpkg is new.\npackage newpkg\n\nimport \"example.com/api/helpers\"\n\nvar _ int = helpers.Describe()\n")
	}},
	{"git commit and tag", func(s *soak) {
		testws.Run(s.t, s.dir, "git", "add", "-A")
		testws.Run(s.t, s.dir, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "soak", "--allow-empty")
		testws.Run(s.t, s.dir, "git", "tag", "-f", "v1.0."+strconv.Itoa(s.rnd.IntN(100)))
	}},
}

var soakSteps = []*build.Step{Workspace, Gofmt, Vet, Typecheck, Tidy, Spelling, Licenses, Deps, Imports}

// fromCache reports whether any part of a result came from the cache.
func fromCache(r *build.Result) bool {
	return r.Cached || slices.ContainsFunc(r.Notes, func(n string) bool {
		return strings.HasSuffix(n, " modules cached") || strings.HasSuffix(n, " packages cached")
	})
}

func (s *soak) environ() []string {
	if s.useVar {
		return append(slices.Clone(s.env), "HACKLESS_SPELLING_EXCEPTIONS="+filepath.Join(s.out, "exceptions.txt"))
	}
	return s.env
}

// TestCacheSoak applies random mutations from the catalog to a workspace
// and requires, after each round, that every verdict that came from the
// cache equals the verdict of a run without it. Some rounds mutate while a
// run is going on: whatever that run stores must still be true after it.
// HACKLESS_SOAK_ROUNDS and HACKLESS_SOAK_SEED make a longer or another
// soak; each round applies one to three mutations.
func TestCacheSoak(t *testing.T) {
	t.Parallel()
	rounds := 16 // about 35 mutations; the long hunt sets HACKLESS_SOAK_ROUNDS
	if testing.Short() {
		rounds = 4 // the inner loop: the soak runs, CI hunts
	}
	if v, err := strconv.Atoi(os.Getenv("HACKLESS_SOAK_ROUNDS")); err == nil {
		rounds = v
	}
	seed := uint64(9)
	if v, err := strconv.ParseUint(os.Getenv("HACKLESS_SOAK_SEED"), 10, 64); err == nil {
		seed = v
	}
	files := testws.Staging()
	soakWorkspace(files)
	s := &soak{t: t, dir: testws.New(t, files), out: t.TempDir(), env: os.Environ(), rnd: rand.New(rand.NewPCG(seed, seed))}
	// A package directory that is a symlink to a directory outside the
	// tree, which the go command follows.
	os.MkdirAll(filepath.Join(s.out, "linked"), 0o755)
	os.WriteFile(filepath.Join(s.out, "linked", "linked.go"), []byte(soakLinked), 0o644)
	if err := os.Symlink(filepath.Join(s.out, "linked"), filepath.Join(s.dir, apiDir+"linked")); err != nil {
		t.Fatal(err)
	}
	testws.Write(t, s.dir, testws.Files{apiDir + "uselinked.go": "package api\n\nimport \"example.com/api/linked\"\n\n// Linked is linked's.\nconst Linked = linked.X\n"})
	if _, log := runSteps(t, s.dir, build.Update, nil, Tidy); !strings.Contains(log, "1 passed") {
		t.Fatalf("tidying the soak workspace:\n%s", log)
	}
	testws.Git(t, s.dir)
	s.base = make(map[string]string)
	for _, f := range []string{"go.work", apiDir + "go.mod"} {
		b, _ := os.ReadFile(filepath.Join(s.dir, f))
		s.base[f] = string(b)
	}
	os.WriteFile(filepath.Join(s.out, "exceptions.txt"), []byte("recieve\n"), 0o644)
	cacheDir := t.TempDir()
	if res, log := diffRun(t, s.dir, s.environ(), cacheDir, soakSteps); !allPassed(res) {
		t.Fatalf("the soak workspace fails before any mutation:\n%s", log)
	}
	mutations, compared := 0, 0
	var history []string
	for round := range rounds {
		n := 1 + s.rnd.IntN(3)
		concurrent := s.rnd.IntN(3) == 0
		for range n {
			m := soakCatalog[s.rnd.IntN(len(soakCatalog))]
			history = append(history, fmt.Sprintf("round %d: %s", round, m.name))
			mutations++
			if !concurrent {
				m.apply(s)
				continue
			}
			// Mutate while a cached run goes on; its own verdict may be
			// either, but what it stores must hold afterwards.
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(s.rnd.IntN(150)) * time.Millisecond)
				m.apply(s)
			}()
			diffRun(t, s.dir, s.environ(), cacheDir, soakSteps)
			wg.Wait()
			if s.rnd.IntN(2) == 0 {
				m.apply(s) // and undo it: the tree is as the run's keys saw it
				mutations++
				history = append(history, fmt.Sprintf("round %d: undo %s", round, m.name))
			}
		}
		got, log := diffRun(t, s.dir, s.environ(), cacheDir, soakSteps)
		var again []*build.Step
		for _, st := range soakSteps {
			if fromCache(got[st.Name]) {
				again = append(again, st)
			}
		}
		if len(again) == 0 {
			continue
		}
		truth, truthLog := diffRun(t, s.dir, s.environ(), "", again)
		for _, st := range again {
			compared++
			if g, w := got[st.Name], truth[st.Name]; g.Status != w.Status {
				t.Fatalf("seed %d, round %d: %s is %s from the cache but %s without it\nmutations:\n  %s\n--- cached:\n%s\n--- uncached:\n%s",
					seed, round, st.Name, g.Status, w.Status, strings.Join(history, "\n  "), log, truthLog)
			}
		}
	}
	t.Logf("seed %d: %d rounds, %d mutations, %d cached verdicts compared", seed, rounds, mutations, compared)
	if mutations < rounds || compared == 0 {
		t.Errorf("the soak compared nothing")
	}

}
