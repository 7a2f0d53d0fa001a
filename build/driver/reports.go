// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/hackless/hackless/build"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/atomicfile"
)

// ReportDir returns where runs under root keep their reports: hackless/
// in the output directory (workspace.OutputDir), which is _output/hackless
// when git ignores _output/.
func ReportDir(root string) string { return filepath.Join(workspace.OutputDir(root), "hackless") }

// writeReports writes what a finished run leaves behind: the JSON report
// and the duration history in ReportDir, JUnit XML when
// opts.Artifacts is set, and the Markdown step summary when
// opts.StepSummary is set.
// maxReportText bounds each diff and detail in the JSON report, so that
// the report grows with the number of findings, not with file sizes.
const maxReportText = 16 << 10

// boundedReport returns a copy of rep whose findings' diffs and details
// are cut at maxReportText, with a line that says so; every finding is
// kept.
func boundedReport(rep *build.Report) *build.Report {
	out := *rep
	out.Results = make([]*build.Result, len(rep.Results))
	for i, r := range rep.Results {
		rc := *r
		rc.Findings = slices.Clone(r.Findings)
		for j := range rc.Findings {
			f := &rc.Findings[j]
			f.Diff, f.Detail = cutText(f.Diff), cutText(f.Detail)
		}
		out.Results[i] = &rc
	}
	return &out
}

// cutText cuts s at a line boundary before maxReportText bytes.
func cutText(s string) string {
	if len(s) <= maxReportText {
		return s
	}
	cut := strings.LastIndexByte(s[:maxReportText], '\n') + 1
	return s[:cut] + fmt.Sprintf("... cut: %d more bytes (%d lines); run the step to see all of it\n", len(s)-cut, strings.Count(s[cut:], "\n"))
}

func writeReports(rep *build.Report, opts Options, dir string) error {
	data, err := json.MarshalIndent(boundedReport(rep), "", "  ")
	if err != nil {
		return err
	}
	var errs []error
	if _, err := atomicfile.Write(filepath.Join(dir, rep.Name+".json"), append(data, '\n'), 0o644); err != nil {
		errs = append(errs, fmt.Errorf("write JSON report: %w", err))
	}
	if rep.Name == "verify" {
		if err := recordDurations(dir, rep); err != nil {
			errs = append(errs, fmt.Errorf("record durations: %w", err))
		}
	}
	if opts.Artifacts != "" {
		path := filepath.Join(opts.Artifacts, "junit_"+rep.Name+".xml")
		if err := writeJUnitFile(path, rep.Name, junitCases(rep)); err != nil {
			errs = append(errs, err)
		}
	}
	if opts.StepSummary != "" {
		f, err := os.OpenFile(opts.StepSummary, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			err = writeMarkdown(f, rep, opts.FixCommand)
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("write step summary: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Durations maps a step's name to its last duration in seconds.
type Durations map[string]float64

// recordDurations merges the durations of the steps that ran in rep into
// durations.json in dir, for balancing CI shards.
func recordDurations(dir string, rep *build.Report) error {
	d := LoadDurations(dir)
	for _, r := range rep.Results {
		if r.Status != build.Skipped && !r.Cached && !r.Interrupted() {
			d[r.Step] = r.Duration.Seconds() // finished steps only
		}
	}
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	_, err = atomicfile.Write(filepath.Join(dir, "durations.json"), append(data, '\n'), 0o644)
	return err
}

// LoadDurations reads durations.json in dir; a missing or unreadable file
// gives an empty history.
func LoadDurations(dir string) Durations {
	d := Durations{}
	data, err := os.ReadFile(filepath.Join(dir, "durations.json"))
	if err == nil {
		if json.Unmarshal(data, &d) != nil {
			d = Durations{}
		}
	}
	return d
}

// JUnitSuite is one testsuite.
type JUnitSuite struct {
	XMLName  xml.Name          `xml:"testsuite"`
	Name     string            `xml:"name,attr"`
	Tests    int               `xml:"tests,attr"`
	Failures int               `xml:"failures,attr"`
	Skipped  int               `xml:"skipped,attr"`
	Time     float64           `xml:"time,attr"`
	Cases    []build.JUnitCase `xml:"testcase"`
}

// JUnitSuites is the root of a JUnit file.
type JUnitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []JUnitSuite `xml:"testsuite"`
}

// writeJUnitFile writes cases as one testsuite named suite, in the format
// Prow's JUnit viewer reads.
func writeJUnitFile(path, suite string, cases []build.JUnitCase) error {
	s := JUnitSuite{Name: suite, Cases: cases}
	for _, c := range cases {
		s.Tests++
		s.Time += c.Time
		if c.Failure != nil {
			s.Failures++
		}
		if c.Skipped != nil {
			s.Skipped++
		}
	}
	data, err := xml.MarshalIndent(JUnitSuites{Suites: []JUnitSuite{s}}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if _, err := atomicfile.Write(path, append([]byte(xml.Header), append(data, '\n')...), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// junitCases makes one testcase per step, classname the run's name, or the
// step's own test cases when it recorded some; a failure's message is made
// of the findings.
func junitCases(rep *build.Report) []build.JUnitCase {
	var cases []build.JUnitCase
	for _, r := range rep.Results {
		if len(r.Cases) > 0 {
			cases = append(cases, r.Cases...)
			continue
		}
		c := build.JUnitCase{Classname: rep.Name, Name: r.Step, Time: r.Duration.Seconds()}
		switch r.Status {
		case build.Failed:
			var lines []string
			if r.Reason != "" {
				lines = append(lines, r.Reason)
			}
			for _, f := range r.Findings {
				lines = append(lines, "ERROR: "+f.String())
			}
			if r.Fix != "" {
				lines = append(lines, "ERROR: fix: "+r.Fix)
			}
			c.Failure = &build.JUnitMessage{Message: strings.Join(lines, "\n"), Text: r.Log}
		case build.Skipped:
			c.Skipped = &build.JUnitMessage{Message: r.Reason}
		}
		cases = append(cases, c)
	}
	return cases
}

// writeAnnotations prints GitHub Actions ::error commands for the findings.
// GitHub shows only the first 10 errors of a workflow step, so they are
// dealt out round-robin over the failed steps, each step's findings with a
// line first, then those with only a file.
func writeAnnotations(w io.Writer, rep *build.Report) {
	var queues [][]string
	for _, r := range rep.Results {
		if r.Status != build.Failed {
			continue
		}
		title := rep.Name + ":" + r.Step
		fs := slices.Clone(r.Findings)
		slices.SortStableFunc(fs, func(a, b build.Finding) int { return cmp.Compare(rank(a), rank(b)) })
		var q []string
		for _, f := range fs {
			msg := f.Message
			if r.Fix != "" {
				msg += " (fix: " + r.Fix + ")"
			}
			q = append(q, annotation("error", f.Pos, title, msg))
		}
		if len(fs) == 0 {
			q = append(q, annotation("error", build.Position{}, title, r.Reason))
		}
		queues = append(queues, q)
	}
	for i := 0; ; i++ {
		printed := false
		for _, q := range queues {
			if i < len(q) {
				fmt.Fprintln(w, q[i])
				printed = true
			}
		}
		if !printed {
			return
		}
	}
}

// rank orders findings by how precisely they point: line, file, nothing.
func rank(f build.Finding) int {
	switch {
	case f.Pos.File != "" && f.Pos.Line > 0:
		return 0
	case f.Pos.File != "":
		return 1
	}
	return 2
}

// annotation formats a GitHub Actions workflow command such as
// "::error file=a.go,line=3,title=verify:vet::message", escaped as GitHub
// requires.
func annotation(level string, pos build.Position, title, msg string) string {
	var props []string
	if pos.File != "" {
		props = append(props, "file="+escapeProperty(pos.File))
		if pos.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", pos.Line))
			if pos.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", pos.Col))
			}
		}
	}
	if title != "" {
		props = append(props, "title="+escapeProperty(title))
	}
	s := "::" + level
	if len(props) > 0 {
		s += " " + strings.Join(props, ",")
	}
	return s + "::" + escapeData(msg)
}

func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// writeMarkdown writes the run as a Markdown table and failure list.
func writeMarkdown(w io.Writer, rep *build.Report, fixPrefix string) error {
	if fixPrefix == "" {
		fixPrefix = rep.Command
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### hackless %s: %d passed, %d failed, %d skipped\n\n", rep.Name, rep.Count(build.Passed), rep.Count(build.Failed), rep.Count(build.Skipped))
	b.WriteString("| step | result | time |\n|---|---|---|\n")
	for _, r := range rep.Results {
		status := string(r.Status)
		if r.Cached {
			status += " (cached)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.Step, status, seconds(r.Duration))
	}
	for _, r := range rep.Results {
		if r.Status != build.Failed {
			continue
		}
		fmt.Fprintf(&b, "\n#### %s\n\n", r.Step)
		if r.Reason != "" {
			fmt.Fprintf(&b, "```\n%s\n```\n", strings.TrimSpace(r.Reason))
		}
		for i, f := range r.Findings {
			if i == maxFindings {
				fmt.Fprintf(&b, "- … and %d more\n", len(r.Findings)-i)
				break
			}
			fmt.Fprintf(&b, "- `%s`: %s\n", f.Pos, f.Message)
		}
		if r.Fix != "" {
			fmt.Fprintf(&b, "\nFix: `%s`\n", r.Fix)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
