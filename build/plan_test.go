// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hackless/hackless/internal/testws"
)

// TestDryRun: a dry run says which steps would run and why, matches what
// the run then does, and runs nothing.
func TestDryRun(t *testing.T) {
	dir := tinyWorkspace(t)
	testws.Write(t, dir, testws.Files{"a.txt": "a\n"})
	age(t, dir, "a.txt")
	cacheDir := t.TempDir()
	var ran atomic.Int32 // the steps may run side by side
	count := func(p *Pass) error { ran.Add(1); return nil }
	txt := &Step{Name: "txt", Inputs: Inputs{Files: []string{"**/*.txt"}}, Run: count}
	always := &Step{Name: "always", Uncached: true, Run: count}
	mods := &Step{Name: "mods", Scope: ScopeModule, Requires: []*Step{txt}, Inputs: Inputs{Files: []string{"**/*.go"}}, Run: count}
	plan := func(opts Options) string {
		t.Helper()
		opts.Dir, opts.CacheDir = dir, cacheDir
		p, err := DryRun(context.Background(), opts, mods, always)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, s := range p {
			lines = append(lines, s.Step+" "+map[bool]string{true: "run", false: "no"}[s.Run]+": "+strings.SplitN(s.Why, ":", 2)[0]+" ["+strings.Join(s.Requires, ",")+"]")
		}
		return strings.Join(lines, "\n")
	}
	want := "txt run: no earlier successful run []\nmods run: 1 of 1 modules run [txt]\nalways run: never cached []"
	if got := plan(Options{}); got != want || ran.Load() != 0 {
		t.Fatalf("before any run (%d ran):\n%s\nwant:\n%s", ran.Load(), got, want)
	}
	run(t, dir, Options{CacheDir: cacheDir}, mods, always)
	want = "txt no: cached []\nmods no: cached [txt]\nalways run: never cached []"
	if got := plan(Options{}); got != want {
		t.Errorf("after a run:\n%s\nwant:\n%s", got, want)
	}
	testws.Write(t, dir, testws.Files{"a.txt": "changed\n"})
	got := plan(Options{Skip: []string{"always"}})
	if !strings.HasPrefix(got, "txt run: file") || !strings.HasSuffix(got, "always no: skipped as asked (-skip) []") {
		t.Errorf("after a change, always skipped:\n%s", got)
	}
	if got := plan(Options{Mode: Update}); !strings.Contains(got, "txt run: an update runs every step it names") {
		t.Errorf("an update:\n%s", got)
	}
}
