// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package driver shows and records a run of the engine (package build):
// the console (each step's block as it ends, a live status line on a
// terminal, the summary with every failure and its fix), the JSON report,
// JUnit XML for Prow, GitHub Actions annotations and step summary, the
// duration history that orders steps and balances CI shards, and Main,
// which reads the environment's settings and turns signals and outcomes
// into exit codes for a Mage target.
package driver

import (
	"cmp"
	"fmt"
	"github.com/hackless/hackless/build"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/fatih/color"
)

// Bounds on what the console prints for one failed step; the JSON report
// keeps everything.
const (
	maxFindings  = 25
	maxDiffLines = 40
)

// console prints a run's progress and summary. Each step's block is printed
// whole when the step ends, so parallel steps never interleave. On a
// terminal a status line (done/total, running steps, elapsed time) is
// redrawn below the finished lines.
type console struct {
	w        io.Writer
	terminal bool
	verbose  bool
	github   bool
	fixCmd   string
	start    time.Time
	total    int

	green, red, yellow, bold *color.Color

	mu      sync.Mutex
	done    int
	running []string
	since   map[string]time.Time // when each running step started
	status  bool                 // a status line is on screen
	stop    chan struct{}
	stopped sync.WaitGroup
	closed  sync.Once
}

func newConsole(opts Options, total int, start time.Time) *console {
	w := opts.Out
	if w == nil {
		w = io.Discard
	}
	c := &console{
		w: w, terminal: opts.Terminal, verbose: opts.Verbose, github: opts.GitHub, fixCmd: opts.FixCommand,
		start: start, total: total, stop: make(chan struct{}),
		green: color.New(color.FgGreen), red: color.New(color.FgRed, color.Bold),
		yellow: color.New(color.FgYellow), bold: color.New(color.Bold),
	}
	for _, col := range []*color.Color{c.green, c.red, c.yellow, c.bold} {
		if opts.Color {
			col.EnableColor()
		} else {
			col.DisableColor()
		}
	}
	c.since = make(map[string]time.Time)
	c.stopped.Add(1)
	if c.terminal {
		go c.repeat(200*time.Millisecond, c.drawStatus)
	} else {
		every := opts.ProgressEvery
		if every <= 0 {
			every = 30 * time.Second
		}
		go c.repeat(every, c.progressLine)
	}
	return c
}

// progressLine prints, outside a terminal, which steps are still running
// and for how long: a slow step is told from a hung one. c.mu is held.
func (c *console) progressLine() {
	if len(c.running) == 0 {
		return
	}
	var still []string
	for _, n := range c.running {
		still = append(still, fmt.Sprintf("%s (%s)", n, time.Since(c.since[n]).Round(time.Second)))
	}
	fmt.Fprintf(c.w, "[%d/%d] %s  still running: %s\n", c.done, c.total, time.Since(c.start).Round(time.Second), strings.Join(still, ", "))
}

// repeat calls f, under c.mu, every d until the console closes.
func (c *console) repeat(d time.Duration, f func()) {
	defer c.stopped.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.mu.Lock()
			f()
			c.mu.Unlock()
		}
	}
}

// drawStatus redraws the status line; c.mu is held.
func (c *console) drawStatus() {
	if !c.terminal {
		return
	}
	line := fmt.Sprintf("[%d/%d] %s", c.done, c.total, time.Since(c.start).Round(100*time.Millisecond))
	if len(c.running) > 0 {
		line += "  running: " + strings.Join(c.running, ", ")
	}
	if len(line) > 120 {
		line = line[:117] + "..."
	}
	fmt.Fprint(c.w, "\r\x1b[K"+line)
	c.status = true
}

func (c *console) clearStatus() {
	if c.status {
		fmt.Fprint(c.w, "\r\x1b[K")
		c.status = false
	}
}

func (c *console) Started(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running = append(c.running, name)
	c.since[name] = time.Now()
	if !c.terminal {
		fmt.Fprintf(c.w, "[%d/%d] %s  started %s\n", c.done, c.total, time.Since(c.start).Round(time.Second), name)
	}
	c.drawStatus()
}

func (c *console) Finished(r *build.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done++
	c.running = slices.DeleteFunc(c.running, func(n string) bool { return n == r.Step })
	c.clearStatus()
	var b strings.Builder
	switch {
	case r.Cached:
		fmt.Fprintf(&b, "%s %-12s %s", c.green.Sprint("cached "), r.Step, seconds(r.Duration))
	case r.Status == build.Passed:
		fmt.Fprintf(&b, "%s %-12s %s", c.green.Sprint("ok     "), r.Step, seconds(r.Duration))
		if n := len(r.Changed); n > 0 {
			fmt.Fprintf(&b, "  wrote %s", strings.Join(r.Changed[:min(n, maxWritten)], " "))
			if n > maxWritten {
				fmt.Fprintf(&b, " and %d more files (all are in the JSON report)", n-maxWritten)
			}
		}
	case r.Interrupted():
		fmt.Fprintf(&b, "%s %-12s %s", c.yellow.Sprint("stopped"), r.Step, seconds(r.Duration))
	case r.Status == build.Failed:
		fmt.Fprintf(&b, "%s %-12s %s", c.red.Sprint("FAIL   "), r.Step, seconds(r.Duration))
		if n := len(r.Findings); n > 0 {
			fmt.Fprintf(&b, "  %d finding%s", n, plural(n))
		}
	case r.Status == build.Skipped:
		fmt.Fprintf(&b, "%s %-12s %s", c.yellow.Sprint("skipped"), r.Step, r.Reason)
	}
	if c.verbose && r.CacheNote != "" {
		fmt.Fprintf(&b, "\n    not cached: %s", r.CacheNote)
	}
	if c.github {
		// A fold per step, holding the commands it ran.
		fmt.Fprintln(c.w, "::group::"+b.String())
		fmt.Fprint(c.w, indent(strings.Join(r.Notes, "\n"), "    "))
		fmt.Fprint(c.w, indent(r.Log, "    "))
		fmt.Fprintln(c.w, "::endgroup::")
	} else {
		fmt.Fprintln(c.w, b.String())
		for _, n := range r.Notes {
			fmt.Fprintln(c.w, "    "+n)
		}
		if c.verbose && r.Log != "" {
			fmt.Fprint(c.w, indent(r.Log, "    "))
		}
	}
	c.drawStatus()
}

// close stops the status line, or the progress lines; it may be called
// more than once.
func (c *console) close() {
	c.closed.Do(func() {
		close(c.stop)
		c.stopped.Wait()
		c.mu.Lock()
		defer c.mu.Unlock()
		c.clearStatus()
	})
}

// summary prints every failure's details, then the table and the verdict.
func (c *console) summary(rep *build.Report) {
	if c.fixCmd == "" {
		c.fixCmd = rep.Command
	}
	c.close()
	var fixes []string
	for _, r := range rep.Results {
		if r.Status != build.Failed {
			continue
		}
		fmt.Fprintf(c.w, "\n%s %s (%s)\n", c.red.Sprint("--- FAIL:"), c.bold.Sprint(r.Step), seconds(r.Duration))
		if r.Reason != "" {
			fmt.Fprint(c.w, indent(r.Reason, "    "))
		}
		distinct, groups := groupFindings(r.Findings)
		for i, f := range distinct {
			if i == maxFindings {
				fmt.Fprintf(c.w, "    ... and %d more findings (all are in the JSON report)\n", len(distinct)-i)
				break
			}
			fmt.Fprintf(c.w, "    %s\n", f)
			for _, text := range []string{f.Detail, f.Diff} {
				if text != "" {
					fmt.Fprint(c.w, indent(truncateLines(text, maxDiffLines), "        "))
				}
			}
		}
		for _, g := range groups {
			fmt.Fprintf(c.w, "    %d files: %s (%s; all are in the JSON report)\n", len(g), g[0].Message, firstFiles(g, 3))
		}
		if r.Reason != "" && r.Log != "" && !c.verbose {
			fmt.Fprint(c.w, "    log:\n"+indent(truncateLines(r.Log, maxDiffLines), "      "))
		}
		if r.Fix != "" {
			fmt.Fprintf(c.w, "    fix: %s\n", c.bold.Sprint(r.Fix))
			fixes = append(fixes, strings.TrimPrefix(r.Fix, c.prefix()+" "))
		}
	}
	fmt.Fprintln(c.w)
	tw := tabwriter.NewWriter(c.w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tRESULT\tTIME\t")
	for _, r := range rep.Results {
		d := "-"
		if r.Status != build.Skipped {
			d = seconds(r.Duration)
		}
		note := ""
		if r.Status == build.Skipped {
			note = r.Reason
		} else if n := len(r.Findings); n > 0 {
			note = fmt.Sprintf("%d finding%s", n, plural(n))
		}
		status := string(r.Status)
		if r.Cached {
			status = "cached"
		} else if r.Interrupted() {
			status = "interrupted"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Step, status, d, note)
	}
	tw.Flush()
	for _, w := range rep.Warnings {
		fmt.Fprintf(c.w, "%s %s\n", c.red.Sprint("warning:"), w)
	}
	for _, s := range rep.Shadow {
		line := fmt.Sprintf("shadow: %s beside %s: %s", s.Builtin, s.Own, s.Verdict)
		if !s.Agree() {
			line += fmt.Sprintf(" (%s: %s; %s: %s)", s.Builtin, orNone(s.BuiltinFiles), s.Own, orNone(s.OwnFiles))
		}
		fmt.Fprintln(c.w, line)
	}
	passed, failed, skipped := rep.Count(build.Passed), rep.Count(build.Failed), rep.Count(build.Skipped)
	verdict := fmt.Sprintf("%s: %d passed, %d failed, %d skipped in %s", rep.Name, passed, failed, skipped, seconds(rep.Duration))
	if n := rep.CountCached(); n > 0 {
		verdict = fmt.Sprintf("%s: %d passed (%d cached), %d failed, %d skipped in %s", rep.Name, passed, n, failed, skipped, seconds(rep.Duration))
	}
	switch {
	case rep.Interrupted:
		fmt.Fprintln(c.w, c.red.Sprint(verdict+" (interrupted)"))
	case failed > 0:
		fmt.Fprintln(c.w, c.red.Sprint(verdict))
		if len(fixes) > 0 {
			fmt.Fprintf(c.w, "to apply every proposed change: %s %s\n", c.prefix(), strings.Join(fixes, " "))
		}
	default:
		fmt.Fprintln(c.w, c.green.Sprint(verdict))
	}
}

// maxWritten is how many written files an update's line names.
const maxWritten = 10

// groupAt is how many findings must share a message to be shown as one
// group, so that the few distinct findings are not hidden among many alike.
const groupAt = 5

// groupFindings splits findings into those shown one by one, in order,
// and groups of at least groupAt that share a message (as 1,270 files
// missing one header), largest first.
func groupFindings(fs []build.Finding) (distinct []build.Finding, groups [][]build.Finding) {
	byMsg := make(map[string][]build.Finding)
	for _, f := range fs {
		byMsg[f.Message] = append(byMsg[f.Message], f)
	}
	for _, f := range fs {
		if len(byMsg[f.Message]) < groupAt {
			distinct = append(distinct, f)
		}
	}
	for _, g := range byMsg {
		if len(g) >= groupAt {
			groups = append(groups, g)
		}
	}
	slices.SortFunc(groups, func(a, b []build.Finding) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a[0].Message, b[0].Message))
	})
	return distinct, groups
}

// firstFiles names the places of the first n findings of a group.
func firstFiles(g []build.Finding, n int) string {
	var names []string
	for _, f := range g[:min(n, len(g))] {
		names = append(names, f.Pos.String())
	}
	s := strings.Join(names, ", ")
	if len(g) > n {
		s += fmt.Sprintf(" and %d more", len(g)-n)
	}
	return s
}

func (c *console) prefix() string {
	if c.fixCmd == "" {
		return build.MageCommand
	}
	return c.fixCmd
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// indent prefixes every line of s and ends it with a newline.
func indent(s, prefix string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix) + "\n"
}

// truncateLines keeps the first n lines of s and says how many it dropped.
func truncateLines(s string, n int) string {
	lines := strings.SplitAfter(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n], "") + fmt.Sprintf("\n... %d more lines\n", len(lines)-n)
}

func orNone(files []string) string {
	if len(files) == 0 {
		return "no files"
	}
	return strings.Join(files, ", ")
}
