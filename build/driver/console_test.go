// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

// tinyWorkspace is a workspace with one module and one file.
func tinyWorkspace(t *testing.T) string {
	return testws.New(t, testws.Files{
		"go.work": "go " + testws.GoVersion + "\n\nuse .\n",
		"go.mod":  "module example.com/tiny\n\ngo " + testws.GoVersion + "\n",
		"a.txt":   "old\n",
	})
}

func run(t *testing.T, dir string, opts Options, steps ...*build.Step) (*build.Report, string) {
	t.Helper()
	var out bytes.Buffer
	opts.Dir, opts.Out = dir, &out
	rep, err := Run(context.Background(), opts, steps...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep, out.String()
}

// TestSummary: the console shows what failed, why, the fix, the cached
// steps and the run's warnings.
func TestSummary(t *testing.T) {
	dir := tinyWorkspace(t)
	bad := &build.Step{Name: "bad", Run: func(p *build.Pass) error {
		p.Reportf(build.Position{File: "a.txt", Line: 1}, "a problem")
		return nil
	}}
	after := &build.Step{Name: "after", Requires: []*build.Step{bad}, Run: func(p *build.Pass) error { return nil }}
	good := &build.Step{Name: "good", Inputs: build.Inputs{Files: []string{"a.txt"}}, Run: func(p *build.Pass) error { return nil }}
	fixer := &build.Step{Name: "fixer", Writes: []string{"a.txt"}, Run: func(p *build.Pass) error { return p.Propose("a.txt", []byte("new\n"), "stale") }}
	cache := t.TempDir()
	_, out := run(t, dir, Options{Options: build.Options{CacheDir: cache}}, bad, after, good, fixer)
	for _, s := range []string{"a.txt:1: a problem", "requirement bad failed", "verify: 1 passed, 2 failed, 1 skipped", "fix: go tool mage update:fixer"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	_, out = run(t, dir, Options{Options: build.Options{CacheDir: cache}}, good)
	if !strings.Contains(out, "cached  good") || !strings.Contains(out, "1 passed (1 cached)") {
		t.Errorf("a cached step:\n%s", out)
	}
	var b bytes.Buffer
	c := newConsole(Options{Out: &b}, 1, time.Now())
	c.summary(&build.Report{Name: "verify", Warnings: []string{"cache: trim: no space"}})
	if !strings.Contains(b.String(), "warning: cache: trim: no space") {
		t.Errorf("a warning is not shown:\n%s", b.String())
	}
}

func TestConsoleBlocksAndColor(t *testing.T) {
	dir := tinyWorkspace(t)
	var steps []*build.Step
	for _, n := range []string{"one", "two", "three"} {
		steps = append(steps, &build.Step{Name: n, Run: func(p *build.Pass) error {
			p.Reportf(build.Position{File: n + ".go", Line: 2, Col: 3}, "finding of %s", n)
			return nil
		}})
	}
	_, out := run(t, dir, Options{Options: build.Options{Jobs: 3}}, steps...)
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colors without Color:\n%q", out)
	}
	for _, n := range []string{"one", "two", "three"} {
		block := "--- FAIL: " + n
		i := strings.Index(out, block)
		if i < 0 || !strings.HasPrefix(out[i+len(block):], " (") || !strings.Contains(out[i:], "    "+n+".go:2:3: finding of "+n+"\n") {
			t.Errorf("no block for %s:\n%s", n, out)
		}
	}
	if !strings.Contains(out, "STEP") || !strings.Contains(out, "RESULT") {
		t.Errorf("no summary table:\n%s", out)
	}
	_, out = run(t, dir, Options{Color: true}, steps[0])
	if !strings.Contains(out, "\x1b[") {
		t.Errorf("no colors with Color:\n%q", out)
	}
}

func TestConsoleStatusLine(t *testing.T) {
	dir := tinyWorkspace(t)
	slow := &build.Step{Name: "slow", Run: func(p *build.Pass) error { time.Sleep(500 * time.Millisecond); return nil }}
	_, out := run(t, dir, Options{Terminal: true}, slow)
	if !strings.Contains(out, "\r\x1b[K[0/1]") || !strings.Contains(out, "running: slow") {
		t.Errorf("no live status line on a terminal:\n%q", out)
	}
	_, out = run(t, dir, Options{}, slow)
	if strings.Contains(out, "\r") {
		t.Errorf("status line drawn when not a terminal:\n%q", out)
	}
}

func noop(*build.Pass) error { return nil }

// TestConsoleProgressLines: outside a terminal, a step's start is a line,
// and while it runs a line names it and how long it has run, so a CI log
// never goes silent.
func TestConsoleProgressLines(t *testing.T) {
	dir := tinyWorkspace(t)
	slow := &build.Step{Name: "slow", Run: func(p *build.Pass) error {
		time.Sleep(300 * time.Millisecond)
		return nil
	}}
	_, out := run(t, dir, Options{ProgressEvery: 50 * time.Millisecond}, slow)
	for _, want := range []string{"[0/1] 0s  started slow", "still running: slow ("} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q:\n%s", want, out)
		}
	}
}

// TestShadowHistory: the shadow verdicts of runs add up per pair.
func TestShadowHistory(t *testing.T) {
	t.Setenv("HACKLESS_CACHE_DIR", t.TempDir())
	root := t.TempDir()
	for _, v := range []string{"both pass", "disagree", "both fail on the same files"} {
		rep := &build.Report{Root: root, Shadow: []build.ShadowResult{{Builtin: "gofmt", Own: "make-verify-gofmt", Verdict: v}}}
		if err := recordShadow(rep); err != nil {
			t.Fatal(err)
		}
	}
	h, err := LoadShadowHistory(root)
	if err != nil || len(h.Pairs) != 1 || h.Pairs[0].Runs != 3 || h.Pairs[0].Agreed != 2 || h.Pairs[0].Last.Verdict != "both fail on the same files" {
		t.Errorf("history: %+v, %v", h, err)
	}
}
