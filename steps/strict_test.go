// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/internal/testws"
)

// strictSteps are the cached steps whose reads TestStrictReads checks.
var strictSteps = append(slices.Clone(soakSteps), Boilerplate, Vendor, Codegen, Typecheck, FileSizes)

// TestStrictReads runs each cached step in a child test process whose
// every file open, stat and variable lookup the testing package logs
// (-test.testlogfile, the log go test's own cache is built on), and fails
// on any file in the tree that the step read in process but that neither
// enters its cache key nor was recorded through its Pass, and on any
// HACKLESS_ variable it looked up without recording it. What the go command
// reads in its own processes is checked against `go list -deps -test`: every
// file of every package it loads from the tree must enter the key of each
// step that runs the go command.
func TestStrictReads(t *testing.T) {
	t.Parallel()
	if dir := os.Getenv("HACKLESS_STRICT_CHILD"); dir != "" {
		strictChild(t, dir)
		return
	}
	files := testws.Staging()
	soakWorkspace(files)
	files["hack/boilerplate/boilerplate.sh.txt"] = "# Copyright YEAR The Authors.\n"
	files["hack/tool.sh"] = "#!/usr/bin/env bash\n# Copyright 2024 The Authors.\n\necho hi\n"
	files[apiDir+"helpers/.import-restrictions"] = "rules:\n  - selectorRegexp: example[.]com\n    allowedPrefixes:\n      - example.com\n"
	dir := testws.New(t, files)
	if _, log := runSteps(t, dir, build.Update, nil, Tidy); !strings.Contains(log, "1 passed") {
		t.Fatalf("tidying:\n%s", log)
	}
	testws.Git(t, dir)
	dir, _ = filepath.EvalSymlinks(dir)
	goFiles := goCommandFiles(t, dir)

	for _, s := range strictSteps {
		t.Run(s.Name, func(t *testing.T) {
			out := t.TempDir()
			logFile, readsFile := filepath.Join(out, "testlog"), filepath.Join(out, "reads.json")
			cmd := exec.Command(os.Args[0], "-test.run=^TestStrictReads$", "-test.testlogfile="+logFile)
			cmd.Env = append(os.Environ(), "HACKLESS_STRICT_CHILD="+dir, "HACKLESS_STRICT_STEP="+s.Name, "HACKLESS_STRICT_OUT="+readsFile)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("child: %v\n%s", err, b)
			}
			keyed, err := build.KeyFiles(context.Background(), dir, nil, s)
			if err != nil {
				t.Fatal(err)
			}
			allowed := make(map[string]bool)
			for _, f := range keyed {
				allowed[f] = true
			}
			var reads []cache.Read
			b, _ := os.ReadFile(readsFile)
			if err := json.Unmarshal(b, &reads); err != nil {
				t.Fatalf("reads: %v", err)
			}
			envs := make(map[string]bool)
			for _, e := range s.Inputs.Env {
				envs[e] = true
			}
			for _, r := range reads {
				if r.Kind == "env" {
					envs[r.Name] = true
				} else {
					allowed[r.Name] = true
				}
			}
			for _, e := range readTestLog(t, logFile) {
				switch e.op {
				case "getenv":
					if strings.HasPrefix(e.arg, "HACKLESS_") && e.arg != "HACKLESS_STRICT_CHILD" && e.arg != "HACKLESS_OUTPUT_DIR" /* where reports go, not what a step finds */ && e.arg != "HACKLESS_CACHE_DIR" /* where built tools are kept, each named by what it is built from */ && !strings.HasPrefix(e.arg, "HACKLESS_STRICT_") && !envs[e.arg] {
						t.Errorf("%s looked up $%s, which is neither declared nor recorded", s.Name, e.arg)
					}
				case "open", "stat":
					p := e.arg
					if !filepath.IsAbs(p) {
						continue // relative to the child's directory, not the workspace
					}
					rel, err := filepath.Rel(dir, p)
					if err != nil || rel == "." || strings.HasPrefix(rel, "..") || strings.HasPrefix(rel, "_output") || rel == ".git" || strings.HasPrefix(rel, ".git"+string(filepath.Separator)) {
						continue
					}
					if !allowed[p] && !holdsKeyed(p, keyed) && !loadRead(rel) {
						t.Errorf("%s read %s (%s), which enters neither its key nor its recorded reads", s.Name, rel, e.op)
					}
				}
			}
			if s.Inputs.Go {
				for _, f := range goFiles {
					if !allowed[f] {
						rel, _ := filepath.Rel(dir, f)
						t.Errorf("the go command reads %s for %s, which does not enter its key", rel, s.Name)
					}
				}
			}
		})
	}
}

// loadRead reports whether the workspace loader reads a file: go.work and
// go.mod files, which enter every key; and go.work.sum, which it copies
// beside the run's private go.work for the go commands, whose steps (Go
// steps) key it, and which no other step reads (and vendor/modules.txt,
// whose presence keeps the tree's go.work instead, for the same result);
// and the baseline, which the engine applies to failed results, never
// stored.
func loadRead(rel string) bool {
	// hackless.yaml is read when the workspace loads, and enters every
	// step's key (and its recorded reads, through Pass.Config).
	base := filepath.Base(rel)
	return base == "go.work" || base == "go.mod" || rel == "hackless.yaml" || rel == "go.work.sum" || rel == filepath.Join("vendor", "modules.txt") || rel == "hackless-baseline.json"
}

// holdsKeyed reports whether p is a directory that holds a keyed file: its
// listing or existence is covered by the files under it.
func holdsKeyed(p string, keyed []string) bool {
	prefix := p + string(filepath.Separator)
	i, _ := slices.BinarySearch(keyed, prefix)
	return i < len(keyed) && strings.HasPrefix(keyed[i], prefix)
}

// strictChild runs one step for TestStrictReads and writes what it read
// through its Pass.
func strictChild(t *testing.T, dir string) {
	name := os.Getenv("HACKLESS_STRICT_STEP")
	i := slices.IndexFunc(strictSteps, func(s *build.Step) bool { return s.Name == name })
	if i < 0 {
		t.Fatalf("no step %q", name)
	}
	rep, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Dir: dir}, Out: io.Discard}, strictSteps[i])
	if err != nil {
		t.Fatal(err)
	}
	var reads []cache.Read
	for _, r := range rep.Results {
		if r.Status != build.Passed {
			t.Errorf("%s: %s %s %v", r.Step, r.Status, r.Reason, r.Findings)
		}
		reads = append(reads, r.Reads...)
	}
	b, _ := json.Marshal(reads)
	if err := os.WriteFile(os.Getenv("HACKLESS_STRICT_OUT"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

type testLogEntry struct{ op, arg string }

// readTestLog parses a -test.testlogfile: "# test log" then "op arg" lines.
func readTestLog(t *testing.T, name string) []testLogEntry {
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("# test log\n")) {
		t.Fatalf("%s is no test log", name)
	}
	var out []testLogEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if op, arg, ok := strings.Cut(sc.Text(), " "); ok && op != "#" {
			out = append(out, testLogEntry{op, arg})
		}
	}
	return out
}

// goCommandFiles returns the absolute paths of the files in dir that the go
// command reads for the workspace's packages and their tests, as `go list
// -deps -test` reports them.
func goCommandFiles(t *testing.T, dir string) []string {
	cmd := exec.Command("go", "list", "-e", "-deps", "-test", "-json", "work")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK="+filepath.Join(dir, "go.work"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type listed struct {
		Dir                                                    string
		GoFiles, CgoFiles, IgnoredGoFiles, IgnoredOtherFiles   []string
		TestGoFiles, XTestGoFiles, CFiles, HFiles, SFiles      []string
		EmbedFiles, TestEmbedFiles, XTestEmbedFiles, SysoFiles []string
		Module                                                 *struct{ GoMod string }
	}
	seen := make(map[string]bool)
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if rel, err := filepath.Rel(dir, p.Dir); err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.IgnoredGoFiles, p.TestGoFiles, p.XTestGoFiles, p.CFiles, p.HFiles, p.SFiles, p.EmbedFiles, p.TestEmbedFiles, p.XTestEmbedFiles, p.SysoFiles} {
			for _, f := range list {
				if filepath.IsAbs(f) {
					continue // generated into the build cache (a test main)
				}
				seen[filepath.Join(p.Dir, f)] = true
			}
		}
		if p.Module != nil && p.Module.GoMod != "" {
			seen[p.Module.GoMod] = true
		}
	}
	if len(seen) == 0 {
		t.Fatal("go list found no files")
	}
	return slices.Sorted(func(yield func(string) bool) {
		for f := range seen {
			if !yield(f) {
				return
			}
		}
	})
}
