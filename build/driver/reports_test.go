// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"github.com/hackless/hackless/build"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAnnotation(t *testing.T) {
	tests := []struct {
		pos        build.Position
		title, msg string
		want       string
	}{
		{build.Position{File: "a.go", Line: 3, Col: 7}, "verify:vet", "bad", "::error file=a.go,line=3,col=7,title=verify%3Avet::bad"},
		{build.Position{File: "a,b:c.go", Line: 1}, "t", "x", "::error file=a%2Cb%3Ac.go,line=1,title=t::x"},
		{build.Position{File: "go.work"}, "", "50% done\nnext: line\r", "::error file=go.work::50%25 done%0Anext: line%0D"},
		{build.Position{}, "verify:tidy", "a, b: c", "::error title=verify%3Atidy::a, b: c"},
	}
	for _, tt := range tests {
		if got := annotation("error", tt.pos, tt.title, tt.msg); got != tt.want {
			t.Errorf("annotation(%v, %q, %q)\n got %s\nwant %s", tt.pos, tt.title, tt.msg, got, tt.want)
		}
	}
}

func TestAnnotationsRoundRobin(t *testing.T) {
	rep := &build.Report{Mode: build.Verify, Results: []*build.Result{
		{Step: "a", Status: build.Failed, Findings: []build.Finding{
			{Pos: build.Position{File: "x"}, Message: "a-file"},
			{Message: "a-none"},
			{Pos: build.Position{File: "x", Line: 1}, Message: "a-line"},
		}},
		{Step: "ok", Status: build.Passed},
		{Step: "b", Status: build.Failed, Reason: "b crashed"},
		{Step: "c", Status: build.Failed, Findings: []build.Finding{{Pos: build.Position{File: "y", Line: 2}, Message: "c-line"}}},
	}}
	var b strings.Builder
	writeAnnotations(&b, rep)
	var msgs []string
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		msgs = append(msgs, l[strings.LastIndex(l, "::")+2:])
	}
	if got, want := strings.Join(msgs, " "), "a-line b crashed c-line a-file a-none"; got != want {
		t.Errorf("order = %s, want %s", got, want)
	}
}

func TestReportsWritten(t *testing.T) {
	dir := tinyWorkspace(t)
	artifacts := t.TempDir()
	summary := filepath.Join(t.TempDir(), "summary.md")
	os.WriteFile(summary, []byte("earlier\n"), 0o644)
	bad := &build.Step{Name: "bad", Writes: []string{"*.txt"}, Run: func(p *build.Pass) error {
		p.Reportf(build.Position{File: "a.txt", Line: 1}, "first <problem> & more")
		return p.Propose("a.txt", []byte("new\n"), "stale")
	}}
	good := &build.Step{Name: "good", Run: noop}
	after := &build.Step{Name: "after", Requires: []*build.Step{bad}, Run: noop}
	rep, out := run(t, dir, Options{Artifacts: artifacts, GitHub: true, StepSummary: summary}, bad, good, after)

	// JUnit, parsed back.
	data, err := os.ReadFile(filepath.Join(artifacts, "junit_verify.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var suites JUnitSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatalf("parse JUnit: %v\n%s", err, data)
	}
	s := suites.Suites[0]
	if s.Name != "verify" || s.Tests != 3 || s.Failures != 1 || s.Skipped != 1 || len(s.Cases) != 3 {
		t.Fatalf("suite = %+v", s)
	}
	for _, c := range s.Cases {
		if c.Classname != "verify" {
			t.Errorf("classname = %q", c.Classname)
		}
		switch c.Name {
		case "bad":
			if c.Failure == nil || !strings.Contains(c.Failure.Message, "ERROR: a.txt:1: first <problem> & more") ||
				!strings.Contains(c.Failure.Message, "ERROR: fix: go tool mage update:bad") {
				t.Errorf("bad: failure = %+v", c.Failure)
			}
		case "after":
			if c.Skipped == nil || c.Skipped.Message != "requirement bad failed" {
				t.Errorf("after: skipped = %+v", c.Skipped)
			}
		case "good":
			if c.Failure != nil || c.Skipped != nil {
				t.Errorf("good: %+v", c)
			}
		}
	}

	// The JSON report.
	data, err = os.ReadFile(filepath.Join(ReportDir(dir), "verify.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Schema   int
		Mode     string
		Duration float64
		Results  []build.Result
	}
	if err := json.Unmarshal(data, &back); err != nil || back.Schema != build.ReportSchema || back.Mode != "verify" || len(back.Results) != 3 || len(back.Results[0].Findings) != 2 {
		t.Errorf("JSON report: %v\n%s", err, data)
	}
	// Durations in seconds, as in durations.json and JUnit.
	if back.Duration <= 0 || back.Duration > 600 || !strings.Contains(string(data), `"Duration": 0.`) {
		t.Errorf("durations not in seconds:\n%s", data)
	}
	if d := LoadDurations(ReportDir(dir)); len(d) != 2 || d["after"] != 0 {
		t.Errorf("durations = %v, want bad and good only", d)
	}

	// GitHub: folds, annotations, the step summary.
	for _, w := range []string{"::group::", "::endgroup::", "::error file=a.txt,line=1,title=verify%3Abad::first <problem> & more (fix: go tool mage update:bad)"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	md, _ := os.ReadFile(summary)
	if !strings.HasPrefix(string(md), "earlier\n### hackless verify: 1 passed, 1 failed, 1 skipped") || !strings.Contains(string(md), "Fix: `go tool mage update:bad`") {
		t.Errorf("step summary:\n%s", md)
	}
	if rep.ExitCode() != build.ExitFailed {
		t.Errorf("exit %d", rep.ExitCode())
	}
}

func TestLoadDurationsCorrupt(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "durations.json"), []byte("{not json"), 0o644)
	if d := LoadDurations(dir); len(d) != 0 {
		t.Errorf("corrupt file gave %v", d)
	}
	rep := &build.Report{Results: []*build.Result{{Step: "x", Status: build.Failed, Duration: 2e9}}}
	if err := recordDurations(dir, rep); err != nil {
		t.Fatal(err)
	}
	if d := LoadDurations(dir); d["x"] != 2 {
		t.Errorf("durations = %v", d)
	}
}

// TestReportBoundsDiffs: a finding whose diff is megabytes long keeps its
// place in the JSON report, with the diff cut and a note where.
func TestReportBoundsDiffs(t *testing.T) {
	big := strings.Repeat("+a line of a large generated file\n", 150_000) // about 5 MB
	dir := t.TempDir()
	rep := &build.Report{Name: "verify", Root: dir, Results: []*build.Result{{Step: "codegen", Status: build.Failed, Findings: []build.Finding{
		{Pos: build.Position{File: "zz_big.go", Line: 1}, Message: "stale", Diff: big},
		{Pos: build.Position{File: "a.go", Line: 2}, Message: "small", Diff: "-x\n+y\n"},
	}}}}
	if err := writeReports(rep, Options{Options: build.Options{Mode: build.Verify}}, ReportDir(rep.Root)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(ReportDir(dir), "verify.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 64<<10 {
		t.Errorf("report is %d bytes", len(data))
	}
	var back struct{ Results []build.Result }
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	fs := back.Results[0].Findings
	if len(fs) != 2 || !strings.Contains(fs[0].Diff, "... cut: ") || fs[1].Diff != "-x\n+y\n" {
		t.Errorf("findings: %d, first diff ends %q", len(fs), fs[0].Diff[max(0, len(fs[0].Diff)-80):])
	}
	if len(rep.Results[0].Findings[0].Diff) != len(big) {
		t.Error("bounding the report changed the run's own findings")
	}
}

// TestInterruptedStepsAreNotRecorded: ci:matrix balances shards by the
// durations of finished steps only.
func TestInterruptedStepsAreNotRecorded(t *testing.T) {
	dir := t.TempDir()
	rep := &build.Report{Results: []*build.Result{
		{Step: "done", Status: build.Passed, Duration: 2 * time.Second},
		{Step: "stopped", Status: build.Failed, Reason: "interrupted", Duration: time.Second},
	}}
	if err := recordDurations(dir, rep); err != nil {
		t.Fatal(err)
	}
	d := LoadDurations(dir)
	if d["done"] != 2 || d["stopped"] != 0 {
		t.Errorf("durations %v", d)
	}
}

// TestManyFindingsStayReadable: 1,200 findings alike are one line; the
// two distinct ones are shown first, whole.
func TestManyFindingsStayReadable(t *testing.T) {
	var fs []build.Finding
	for i := range 1200 {
		fs = append(fs, build.Finding{Pos: build.Position{File: fmt.Sprintf("f%04d.go", i), Line: 1}, Message: "header does not match hack/boilerplate/boilerplate.go.txt"})
	}
	fs = append(fs, build.Finding{Pos: build.Position{File: "a.go", Line: 3}, Message: "real problem one"}, build.Finding{Pos: build.Position{File: "b.go", Line: 4}, Message: "real problem two"})
	var out strings.Builder
	c := newConsole(Options{Out: &out}, 1, time.Now())
	c.summary(&build.Report{Name: "verify", Results: []*build.Result{{Step: "boilerplate", Status: build.Failed, Findings: fs}}})
	got := out.String()
	for _, want := range []string{"a.go:3: real problem one", "b.go:4: real problem two", "1200 files: header does not match hack/boilerplate/boilerplate.go.txt (f0000.go:1, f0001.go:1, f0002.go:1 and 1197 more"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "\n") > 20 {
		t.Errorf("summary is %d lines:\n%s", strings.Count(got, "\n"), got)
	}
}

// TestWrittenFilesAreBounded: an update that wrote 2,000 files names ten.
func TestWrittenFilesAreBounded(t *testing.T) {
	var changed []string
	for i := range 2000 {
		changed = append(changed, fmt.Sprintf("pkg/f%04d.go", i))
	}
	var out strings.Builder
	c := newConsole(Options{Options: build.Options{Mode: build.Update}, Out: &out}, 1, time.Now())
	c.Finished(&build.Result{Step: "gofmt", Status: build.Passed, Changed: changed})
	c.close()
	if got := out.String(); !strings.Contains(got, "pkg/f0009.go and 1990 more files") || strings.Contains(got, "pkg/f0010.go") || len(got) > 400 {
		t.Errorf("line:\n%s", got)
	}
}
