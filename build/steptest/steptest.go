// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package steptest tests steps, a repository's own or hackless's, on
// workspaces a test writes, as golang.org/x/tools/go/analysis/analysistest
// tests analyzers:
//
//	func TestOwners(t *testing.T) {
//		dir := steptest.Workspace(t, steptest.Files{"api/OWNERS": "reviewers: [a]\n"})
//		rep := steptest.Run(t, dir, build.Verify, Owners)
//		steptest.WantFindings(t, rep, "owners", "api/OWNERS:1: no approvers")
//	}
//
// Each run uses the real engine, hermetic environment and go command,
// without the step cache.
package steptest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/internal/testws"
)

// Files maps slash-separated paths, relative to the workspace root, to
// their contents.
type Files map[string]string

// GoVersion is the go line of the go.mod and go.work Workspace adds.
const GoVersion = "1.25.0"

// Workspace writes files into a new temporary directory, removed when the
// test ends, and returns it. Unless files holds them, it adds a go.mod
// (module example.com/m) and a go.work that uses it, so that files alone
// make a workspace.
func Workspace(t testing.TB, files Files) string {
	t.Helper()
	dir := t.TempDir()
	all := Files{}
	if _, ok := files["go.mod"]; !ok {
		all["go.mod"] = "module example.com/m\n\ngo " + GoVersion + "\n"
	}
	if _, ok := files["go.work"]; !ok {
		all["go.work"] = "go " + GoVersion + "\n\nuse .\n"
	}
	for name, content := range files {
		all[name] = content
	}
	Write(t, dir, all)
	return dir
}

// Write writes files under dir, creating directories as needed.
func Write(t testing.TB, dir string, files Files) {
	t.Helper()
	testws.Write(t, dir, testws.Files(files))
}

// Git makes dir a git repository with every file committed, as a
// checkout is: steps that ask git what the tree holds see it so.
func Git(t testing.TB, dir string) { t.Helper(); testws.Git(t, dir) }

// Run runs steps (and the steps they require) on the workspace in dir, in
// mode, without the step cache, and returns the report. The run's output
// is logged when the test fails or runs with -v. A workspace hackless
// cannot load, or an invalid graph, fails the test.
func Run(t testing.TB, dir string, mode build.Mode, steps ...*build.Step) *build.Report {
	t.Helper()
	var out bytes.Buffer
	rep, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Mode: mode, Dir: dir}, Out: &out}, steps...)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return rep
}

// Findings returns the findings of step in rep, each as
// "file:line:col: message", in the order the step reported them.
func Findings(rep *build.Report, step string) []string {
	var out []string
	for _, r := range rep.Results {
		if r.Step != step {
			continue
		}
		for _, f := range r.Findings {
			out = append(out, f.String())
		}
	}
	return out
}

// WantFindings fails the test unless step reported exactly one finding per
// want, in order, each starting with its want ("file:line: message", or
// any prefix of it).
func WantFindings(t testing.TB, rep *build.Report, step string, want ...string) {
	t.Helper()
	got := Findings(rep, step)
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("findings of %s:\n\t%s\nwant:\n\t%s", step, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// WantFile fails the test unless the file rel of dir holds content, as an
// update should have left it.
func WantFile(t testing.TB, dir, rel, content string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != content {
		t.Errorf("%s:\n%s\nwant:\n%s", rel, b, content)
	}
}

// Passed reports whether every step of the run passed.
func Passed(rep *build.Report) bool {
	return !slices.ContainsFunc(rep.Results, func(r *build.Result) bool { return r.Status != build.Passed })
}
