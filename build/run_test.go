// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

func run(t *testing.T, dir string, opts Options, steps ...*Step) (*Report, string) {
	t.Helper()
	out := &textProgress{}
	opts.Dir, opts.Progress = dir, out
	rep, err := Run(context.Background(), opts, steps...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep, out.String()
}

// textProgress writes each step's result as the engine reports it, for
// the tests' failure messages (the console is the driver's).
type textProgress struct {
	mu sync.Mutex
	b  strings.Builder
}

func (p *textProgress) Started(string) {}

func (p *textProgress) Finished(r *Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(&p.b, "%s %s %s cached=%v %s\n", r.Status, r.Step, r.Reason, r.Cached, r.CacheNote)
	for _, f := range r.Findings {
		fmt.Fprintf(&p.b, "    %s\n", f)
	}
	if r.Fix != "" {
		fmt.Fprintf(&p.b, "    fix: %s\n", r.Fix)
	}
}

func (p *textProgress) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.b.String()
}

func statuses(rep *Report) string {
	var s []string
	for _, r := range rep.Results {
		s = append(s, r.Step+"="+string(r.Status))
	}
	return strings.Join(s, " ")
}

func TestRunKeepsGoingAndSkipsDependents(t *testing.T) {
	dir := tinyWorkspace(t)
	var runs sync.Map
	count := func(name string) {
		n, _ := runs.LoadOrStore(name, new(int32))
		atomic.AddInt32(n.(*int32), 1)
	}
	bad := &Step{Name: "bad", Run: func(p *Pass) error {
		count("bad")
		p.Reportf(Position{File: "a.txt", Line: 1}, "a problem")
		return nil
	}}
	broken := &Step{Name: "broken", Run: func(p *Pass) error { count("broken"); return errors.New("tool crashed") }}
	after := &Step{Name: "after", Requires: []*Step{bad}, Run: func(p *Pass) error { count("after"); return nil }}
	good := &Step{Name: "good", Run: func(p *Pass) error { count("good"); return nil }}
	shared := &Step{Name: "shared", Run: func(p *Pass) error { count("shared"); return nil }}
	one := &Step{Name: "one", Requires: []*Step{shared}, Run: noop}
	two := &Step{Name: "two", Requires: []*Step{shared}, Run: noop}

	rep, out := run(t, dir, Options{Jobs: 2}, bad, broken, after, good, one, two)
	want := "bad=FAIL broken=FAIL after=skipped good=ok shared=ok one=ok two=ok"
	if got := statuses(rep); got != want {
		t.Errorf("statuses = %s\nwant       %s", got, want)
	}
	if rep.ExitCode() != ExitFailed {
		t.Errorf("exit code = %d, want %d", rep.ExitCode(), ExitFailed)
	}
	for _, name := range []string{"bad", "broken", "good", "shared"} {
		if n, ok := runs.Load(name); !ok || atomic.LoadInt32(n.(*int32)) != 1 {
			t.Errorf("step %s ran %v times, want once", name, n)
		}
	}
	if _, ok := runs.Load("after"); ok {
		t.Error("step after ran although its requirement failed")
	}
	for _, s := range []string{"a.txt:1: a problem", "tool crashed", "requirement bad failed"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "go tool mage update:") {
		t.Errorf("output proposes a fix although no step proposed a change:\n%s", out)
	}
}

func TestRunAfterDoesNotSkip(t *testing.T) {
	dir := tinyWorkspace(t)
	var firstDone atomic.Bool
	first := &Step{Name: "first", Run: func(p *Pass) error { firstDone.Store(true); return errors.New("boom") }}
	second := &Step{Name: "second", After: []*Step{first}, Run: func(p *Pass) error {
		if !firstDone.Load() {
			return errors.New("ran before first")
		}
		return nil
	}}
	rep, _ := run(t, dir, Options{Mode: Update, Jobs: 4}, second, first)
	if got, want := statuses(rep), "first=FAIL second=ok"; got != want {
		t.Errorf("statuses = %s, want %s", got, want)
	}
}

func TestRunVerifyIgnoresAfter(t *testing.T) {
	dir := tinyWorkspace(t)
	release := make(chan struct{})
	first := &Step{Name: "first", Run: func(p *Pass) error {
		select {
		case <-release:
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("second never ran alongside")
		}
	}}
	second := &Step{Name: "second", After: []*Step{first}, Run: func(p *Pass) error { close(release); return nil }}
	rep, out := run(t, dir, Options{Mode: Verify, Jobs: 2}, first, second)
	if rep.ExitCode() != ExitOK {
		t.Errorf("verify waited on After:\n%s", out)
	}
}

func TestRunFailFast(t *testing.T) {
	dir := tinyWorkspace(t)
	first := &Step{Name: "first", Run: func(p *Pass) error { return errors.New("boom") }}
	second := &Step{Name: "second", Run: noop}
	rep, _ := run(t, dir, Options{Jobs: 1, FailFast: true}, first, second)
	if got, want := statuses(rep), "first=FAIL second=skipped"; got != want {
		t.Errorf("statuses = %s, want %s", got, want)
	}
	if r := rep.Results[1]; !strings.Contains(r.Reason, "fail-fast") {
		t.Errorf("reason = %q, want fail-fast", r.Reason)
	}
}

func TestRunHonorsJobLimit(t *testing.T) {
	dir := tinyWorkspace(t)
	for _, jobs := range []int{1, 3} {
		var running, peak int32
		var steps []*Step
		for i := range 8 {
			steps = append(steps, &Step{Name: string(rune('a' + i)), Run: func(p *Pass) error {
				n := atomic.AddInt32(&running, 1)
				for {
					old := atomic.LoadInt32(&peak)
					if n <= old || atomic.CompareAndSwapInt32(&peak, old, n) {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
				atomic.AddInt32(&running, -1)
				return nil
			}})
		}
		run(t, dir, Options{Jobs: jobs}, steps...)
		if peak > int32(jobs) || peak < 1 {
			t.Errorf("jobs=%d: %d steps ran at once", jobs, peak)
		}
		if jobs > 1 && peak < 2 {
			t.Errorf("jobs=%d: steps never ran in parallel", jobs)
		}
	}
}

func TestRunOrdersRequirements(t *testing.T) {
	dir := tinyWorkspace(t)
	var mu sync.Mutex
	var order []string
	rec := func(name string) func(*Pass) error {
		return func(*Pass) error {
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return nil
		}
	}
	a := &Step{Name: "a", Run: rec("a")}
	b := &Step{Name: "b", Requires: []*Step{a}, Run: rec("b")}
	c := &Step{Name: "c", Requires: []*Step{b}, Run: rec("c")}
	run(t, dir, Options{Jobs: 4}, c)
	if got := strings.Join(order, " "); got != "a b c" {
		t.Errorf("order = %q, want a b c", got)
	}
}

func TestProposeVerifyAndUpdate(t *testing.T) {
	step := &Step{Name: "fixer", Writes: []string{"*.txt"}, Run: func(p *Pass) error {
		if err := p.Propose("a.txt", []byte("new\n"), "a.txt is stale"); err != nil {
			return err
		}
		return p.Propose("b.txt", []byte("same\n"), "b.txt is stale")
	}}
	dir := tinyWorkspace(t)
	testws.Write(t, dir, testws.Files{"b.txt": "same\n"})

	rep, out := run(t, dir, Options{Mode: Verify}, step)
	r := rep.Results[0]
	if r.Status != Failed || len(r.Findings) != 1 {
		t.Fatalf("verify: status %s with %d findings, want FAIL with 1:\n%s", r.Status, len(r.Findings), out)
	}
	if f := r.Findings[0]; f.Pos.File != "a.txt" || f.Pos.Line != 1 || !strings.Contains(f.Diff, "-old\n+new\n") {
		t.Errorf("finding = %+v", f)
	}
	if r.Fix != "go tool mage update:fixer" || !strings.Contains(out, "fix: go tool mage update:fixer") {
		t.Errorf("fix = %q; output:\n%s", r.Fix, out)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(got) != "old\n" {
		t.Errorf("verify wrote a.txt: %q", got)
	}

	rep, _ = run(t, dir, Options{Mode: Update}, step)
	if r := rep.Results[0]; r.Status != Passed || strings.Join(r.Changed, " ") != "a.txt" {
		t.Errorf("update: status %s, changed %v; want ok, [a.txt]", r.Status, r.Changed)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(got) != "new\n" {
		t.Errorf("update left a.txt = %q", got)
	}
	if rep, _ = run(t, dir, Options{Mode: Verify}, step); rep.ExitCode() != ExitOK {
		t.Errorf("verify after update: exit %d", rep.ExitCode())
	}
}

func TestProposeOutsideWrites(t *testing.T) {
	step := &Step{Name: "sneaky", Writes: []string{"*.go"}, Run: func(p *Pass) error {
		return p.Propose("go.mod", []byte("module x\n"), "why")
	}}
	dir := tinyWorkspace(t)
	rep, _ := run(t, dir, Options{Mode: Update}, step)
	if r := rep.Results[0]; r.Status != Failed || !strings.Contains(r.Reason, "do not cover") {
		t.Errorf("status %s reason %q, want a failure naming Writes", r.Status, r.Reason)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "go.mod")); strings.Contains(string(got), "module x") {
		t.Error("go.mod was written")
	}
}

func TestRunRecoversPanic(t *testing.T) {
	dir := tinyWorkspace(t)
	rep, _ := run(t, dir, Options{}, &Step{Name: "p", Run: func(*Pass) error { panic("oops") }})
	if r := rep.Results[0]; r.Status != Failed || !strings.Contains(r.Reason, "panic: oops") {
		t.Errorf("status %s reason %q", r.Status, r.Reason)
	}
}

func TestRunUsageErrors(t *testing.T) {
	dir := tinyWorkspace(t)
	a := &Step{Name: "a", Run: noop}
	a.Requires = []*Step{a}
	ran := false
	b := &Step{Name: "b", Run: func(*Pass) error { ran = true; return nil }}
	_, err := Run(context.Background(), Options{Dir: dir}, b, a)
	if usage := new(UsageError); !errors.As(err, &usage) {
		t.Errorf("cycle: error %v, want a UsageError", err)
	}
	if ran {
		t.Error("a step ran although the graph was invalid")
	}
	_, err = Run(context.Background(), Options{Dir: t.TempDir()}, b)
	if usage := new(UsageError); !errors.As(err, &usage) || !strings.Contains(err.Error(), "go work init") {
		t.Errorf("outside a workspace: %v", err)
	}
}

func TestRunInterrupted(t *testing.T) {
	dir := tinyWorkspace(t)
	ctx, cancel := context.WithCancel(context.Background())
	slow := &Step{Name: "slow", Run: func(p *Pass) error {
		cancel()
		<-p.Context().Done()
		return p.Context().Err()
	}}
	later := &Step{Name: "later", Requires: []*Step{slow}, Run: noop}
	rep, err := Run(ctx, Options{Dir: dir, Jobs: 1}, later)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ExitCode() != ExitInterrupted {
		t.Errorf("exit code = %d, want %d", rep.ExitCode(), ExitInterrupted)
	}
	if rep.ExitCode() != ExitInterrupted {
		t.Errorf("ExitCode = %d", rep.ExitCode())
	}
}

func TestProposeTree(t *testing.T) {
	dir := tinyWorkspace(t)
	testws.Write(t, dir, testws.Files{"tree/keep.txt": "same\n", "tree/old.txt": "gone\n", "tree/sub/edit.txt": "a\nb\n"})
	step := &Step{Name: "tree", Writes: []string{"tree/"}, Run: func(p *Pass) error {
		next, err := os.MkdirTemp(p.Env.TempDir(), "tree-")
		if err != nil {
			return err
		}
		testws.Write(t, next, testws.Files{"keep.txt": "same\n", "new.txt": "fresh\n", "sub/edit.txt": "a\nB\n"})
		return p.ProposeTree("tree", next, "tree is stale")
	}}
	rep, out := run(t, dir, Options{Mode: Verify}, step)
	var got []string
	for _, f := range rep.Results[0].Findings {
		got = append(got, f.String())
	}
	want := "tree/new.txt: tree is stale: would be added\ntree/old.txt: tree is stale: would be removed\ntree/sub/edit.txt:2: tree is stale: would be changed"
	if strings.Join(got, "\n") != want {
		t.Errorf("findings:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), want, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "tree", "old.txt")); err != nil {
		t.Error("verify changed the tree")
	}

	rep, out = run(t, dir, Options{Mode: Update}, step)
	if rep.ExitCode() != ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "tree", "old.txt")); err == nil {
		t.Error("update kept a removed file")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "tree", "sub", "edit.txt")); string(b) != "a\nB\n" {
		t.Errorf("edit.txt = %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "tree.hackless-old")); err == nil {
		t.Error("the old tree was left behind")
	}
	if rep, _ = run(t, dir, Options{Mode: Verify}, step); rep.ExitCode() != ExitOK {
		t.Error("verify fails after update")
	}
}

func TestRunPerModule(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	var mu sync.Mutex
	var calls []int
	var running, peak atomic.Int32
	step := &Step{Name: "each", PerModule: true, Run: func(p *Pass) error {
		n := running.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		running.Add(-1)
		mu.Lock()
		calls = append(calls, len(p.Modules()))
		mu.Unlock()
		p.Reportf(Position{File: p.Modules()[0].GoModRel()}, "seen")
		return nil
	}}
	rep, _ := run(t, dir, Options{Jobs: 3}, step)
	if len(calls) != 3 || calls[0] != 1 || peak.Load() < 2 || len(rep.Results[0].Findings) != 3 {
		t.Errorf("verify: calls %v, peak %d, %d findings; want 3 calls of one module, in parallel", calls, peak.Load(), len(rep.Results[0].Findings))
	}
	calls = nil
	run(t, dir, Options{Mode: Update, Jobs: 3}, step)
	if len(calls) != 1 || calls[0] != 3 {
		t.Errorf("update: calls %v, want one call with every module", calls)
	}
}

// TestRunStartsQuickestFirst: quick failures come first: by recorded
// durations, else steps that run the go command on the workspace after
// the others, each kind in graph order.
func TestRunStartsQuickestFirst(t *testing.T) {
	dir := tinyWorkspace(t)
	var mu sync.Mutex
	var order []string
	rec := func(name string) func(*Pass) error {
		return func(*Pass) error { mu.Lock(); order = append(order, name); mu.Unlock(); return nil }
	}
	steps := []*Step{{Name: "gocmd", Inputs: Inputs{Go: true}, Run: rec("gocmd")}, {Name: "short", Run: rec("short")}, {Name: "long", Run: rec("long")}, {Name: "middle", Run: rec("middle")}}
	run(t, dir, Options{Jobs: 1}, steps...)
	if got := strings.Join(order, " "); got != "short long middle gocmd" {
		t.Fatalf("without history: %s, want the go command's step last, the others in graph order", got)
	}
	order = nil
	run(t, dir, Options{Jobs: 1, Durations: map[string]float64{"gocmd": 0.5, "short": 1, "long": 9, "middle": 5}}, steps...)
	if got := strings.Join(order, " "); got != "gocmd short middle long" {
		t.Errorf("with history: %s, want quickest first", got)
	}
}

func TestRunStepUsageError(t *testing.T) {
	dir := tinyWorkspace(t)
	bad := &Step{Name: "bad", Run: func(*Pass) error { return &UsageError{Err: errors.New("HACKLESS_X: no such file")} }}
	other := &Step{Name: "other", Run: func(p *Pass) error { p.Reportf(Position{}, "finding"); return nil }}
	rep, _ := run(t, dir, Options{}, bad, other)
	if rep.ExitCode() != ExitUsage {
		t.Errorf("exit %d, want %d for a step's configuration error", rep.ExitCode(), ExitUsage)
	}
	if rep.ExitCode() != ExitUsage {
		t.Errorf("ExitCode = %d", rep.ExitCode())
	}
}

// TestJobsBoundEveryTool: -j bounds what runs at once across steps and
// the modules of a PerModule step and the calls of Pass.Parallel, as go
// build -p bounds its actions.
func TestJobsBoundEveryTool(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	var mu sync.Mutex
	now, peak := 0, 0
	work := func(p *Pass) error {
		mu.Lock()
		now++
		peak = max(peak, now)
		mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		now--
		mu.Unlock()
		return nil
	}
	steps := []*Step{
		{Name: "permodule1", PerModule: true, Run: work},
		{Name: "permodule2", PerModule: true, Run: work},
		{Name: "plain", Run: work},
		{Name: "parallel", Run: func(p *Pass) error {
			p.Parallel(4, func(int) { work(p) })
			return nil
		}},
	}
	for _, jobs := range []int{1, 2, 3} {
		peak = 0
		run(t, dir, Options{Jobs: jobs}, steps...)
		if peak > jobs {
			t.Errorf("-j=%d: %d ran at once", jobs, peak)
		}
		if jobs > 1 && peak < 2 {
			t.Errorf("-j=%d: nothing ran in parallel", jobs)
		}
	}
}

// TestSkipAndFixHints: -skip leaves a step out, with the steps that
// require it; a step without targets of its own gets a fix hint that
// works, update -what=<name>.
func TestSkipAndFixHints(t *testing.T) {
	dir := tinyWorkspace(t)
	base := &Step{Name: "base", Run: func(p *Pass) error { return nil }}
	dependent := &Step{Name: "dependent", Requires: []*Step{base}, Run: func(p *Pass) error { return nil }}
	fixable := &Step{Name: "owners", Writes: []string{"a.txt"}, Run: func(p *Pass) error { return p.Propose("a.txt", []byte("new\n"), "stale") }}
	rep, out := run(t, dir, Options{Skip: []string{"base"}, HasTargets: func(s string) bool { return s != "owners" }}, base, dependent, fixable)
	if got := statuses(rep); !strings.Contains(got, "base=skipped") || !strings.Contains(got, "dependent=skipped") {
		t.Errorf("statuses %s\n%s", got, out)
	}
	if r := rep.Results[2]; r.Fix != "go tool mage update -what=owners" {
		t.Errorf("fix hint %q", r.Fix)
	}
	var usage *UsageError
	if _, err := Run(context.Background(), Options{Dir: dir, Skip: []string{"nope"}}, base); !errors.As(err, &usage) {
		t.Errorf("-skip of an unknown step: %v", err)
	}
}

// TestInputFiles: a step sees the files its Inputs declare.
func TestInputFiles(t *testing.T) {
	dir := tinyWorkspace(t)
	testws.Write(t, dir, testws.Files{"sub/b.txt": "b\n", "c.md": "c\n", "sub/OWNERS": "approvers: [a]\n"})
	var got []string
	step := &Step{Name: "in", Inputs: Inputs{Files: []string{"**/*.txt", "**/OWNERS"}}, Run: func(p *Pass) error {
		var err error
		got, err = p.InputFiles()
		return err
	}}
	run(t, dir, Options{}, step)
	if want := "a.txt sub/OWNERS sub/b.txt"; strings.Join(got, " ") != want {
		t.Errorf("InputFiles = %q, want %q", got, want)
	}
}

func TestAbbreviate(t *testing.T) {
	got := abbreviate([]string{"-s", "-l", "a.go", "b.go", "c.go", "d.go", "e.go", "-o=x.out"})
	if want := "-s -l a.go b.go c.go -o=x.out … (5 files in all)"; got != want {
		t.Errorf("abbreviate = %q, want %q", got, want)
	}
}

func TestParallelCallsEachOnce(t *testing.T) {
	for _, c := range []struct {
		n     int
		slots *slots
	}{{0, nil}, {1, nil}, {5, nil}, {5, &slots{max: 1}}, {7, &slots{max: 3}}, {7, &slots{max: 8}}} {
		var mu sync.Mutex
		calls := make(map[int]int)
		p := &Pass{slots: c.slots}
		if c.slots != nil {
			c.slots.used = 1 // the step's own
		}
		p.Parallel(c.n, func(i int) {
			mu.Lock()
			calls[i]++
			mu.Unlock()
		})
		for i := range c.n {
			if calls[i] != 1 {
				t.Errorf("n=%d: do(%d) called %d times", c.n, i, calls[i])
			}
		}
		if len(calls) != c.n {
			t.Errorf("n=%d: %d distinct calls", c.n, len(calls))
		}
		if c.slots != nil && c.slots.used != 1 {
			t.Errorf("n=%d: %d slots held after Parallel, want the step's own", c.n, c.slots.used)
		}
	}
}

// TestRunRemovesItsGoWorkCopy: the private copy of go.work a run's go
// commands use is gone when the run ends, so a day of runs does not
// leave a directory each under _output/work.
func TestRunRemovesItsGoWorkCopy(t *testing.T) {
	dir := tinyWorkspace(t)
	seen := ""
	s := &Step{Name: "gowork", Run: func(p *Pass) error {
		seen = p.Env.Get("GOWORK")
		return nil
	}}
	for range 3 {
		run(t, dir, Options{}, s)
	}
	if !strings.Contains(seen, filepath.Join("_output", "work", "run-")) {
		t.Fatalf("GOWORK = %q; want a private copy under _output/work", seen)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "_output", "work")); len(entries) != 0 {
		t.Errorf("_output/work holds %d entries after the runs ended, want none", len(entries))
	}
}
