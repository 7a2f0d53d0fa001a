// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/workspace"
)

// Options configure a run on the console: the engine's options and how
// the driver shows and records the run.
type Options struct {
	build.Options
	// Out receives the progress and the summary; nil discards them.
	Out io.Writer
	// Terminal draws a live status line; Color colors the output.
	Terminal, Color bool
	// Verbose shows every step's log, not only the failed ones'.
	Verbose bool
	// ProgressEvery is how often, outside a terminal, a line names the
	// steps still running and for how long (as Bazel does when not on a
	// terminal); 0 means every 30 seconds. Outside a terminal each step's
	// start is a line too, so a CI log never goes silent.
	ProgressEvery time.Duration
	// Artifacts is where JUnit XML goes (Prow's $ARTIFACTS); "" for none.
	Artifacts string
	// GitHub prints GitHub Actions annotations and ::group:: folds.
	GitHub bool
	// StepSummary is a file to append a Markdown summary to (GitHub's
	// $GITHUB_STEP_SUMMARY); "" for none.
	StepSummary string
	// Plan, when set, makes Main print what the run would do instead of
	// running it (see build.DryRun): "text", "json" or "dot".
	Plan string
}

// Run runs steps as build.Run does, showing each step's block on Out as
// it ends (and a live status line on a terminal), then the summary and,
// for GitHub, the annotations; it writes the JSON report, the duration
// history (which orders the next run's steps longest first), and JUnit
// and the step summary where asked.
func Run(ctx context.Context, opts Options, steps ...*build.Step) (*build.Report, error) {
	start := time.Now()
	planned, err := build.Plan(opts.Options, steps...)
	if err != nil {
		return nil, err
	}
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	// The report directory is asked of git once a run.
	root, reportDir := "", ""
	if r, err := workspace.FindRoot(dir); err == nil && opts.Durations == nil {
		root, reportDir = r, ReportDir(r)
		opts.Durations = LoadDurations(reportDir)
	}
	c := newConsole(opts, len(planned), start)
	opts.Progress = c
	rep, err := build.Run(ctx, opts.Options, steps...)
	c.close()
	if err != nil || rep.Root == "" {
		return rep, err
	}
	c.summary(rep)
	if opts.GitHub {
		writeAnnotations(c.w, rep)
	}
	if rep.Root != root {
		reportDir = ReportDir(rep.Root)
	}
	if err := writeReports(rep, opts, reportDir); err != nil {
		fmt.Fprintf(c.w, "hackless: %v\n", err)
	}
	if len(rep.Shadow) > 0 {
		if err := recordShadow(rep); err != nil {
			fmt.Fprintf(c.w, "hackless: shadow history: %v\n", err)
		}
	}
	return rep, nil
}

// Main runs steps the way a Mage target does: on the console, with the
// settings of the environment filled in where opts leaves them unset, and
// with SIGINT and SIGTERM turned into a clean stop. It returns nil when
// every step passed, and otherwise an error whose ExitStatus is the exit
// code (see the Exit constants).
//
// Environment, each variable named as its flag: HACKLESS_JOBS (how many
// steps and tools at once), HACKLESS_FAILFAST (stop starting steps after a
// failure), HACKLESS_SKIP (steps not to run), HACKLESS_SINCE (run only
// what the changes since that git ref can affect), HACKLESS_BASELINE=off
// (show the findings hackless-baseline.json accepts), HACKLESS_NOCACHE=1 (run every
// step; HACKLESS_FAIL_FAST and HACKLESS_NO_CACHE, the older spellings,
// still count), NO_COLOR (no colors),
// ARTIFACTS (write junit_<mode>.xml there, for Prow), GITHUB_ACTIONS=true
// (annotations, ::group:: folds, and a summary appended to
// $GITHUB_STEP_SUMMARY), HACKLESS_CACHE_DIR (the step cache; default
// os.UserCacheDir()/hackless), HACKLESS_REMOTE_CACHE (the URL of a shared
// cache server; with HACKLESS_REMOTE_CACHE_READONLY,
// HACKLESS_REMOTE_CACHE_TIMEOUT and HACKLESS_REMOTE_CACHE_TOKEN, see
// config.Cache) and HACKLESS_CPUPROFILE (write a CPU profile of the run to
// that file).
func Main(ctx context.Context, opts Options, steps ...*build.Step) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	if p := os.Getenv("HACKLESS_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if f, ok := opts.Out.(*os.File); ok {
		opts.Terminal = isTerminal(f)
		opts.Color = opts.Terminal && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	}
	if opts.Jobs == 0 {
		if v := os.Getenv("HACKLESS_JOBS"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return &ExitError{Code: build.ExitUsage, Err: fmt.Errorf("HACKLESS_JOBS=%q: want a positive number", v)}
			}
			opts.Jobs = n
		}
	}
	if !opts.FailFast {
		opts.FailFast = truthy(os.Getenv("HACKLESS_FAILFAST")) || truthy(os.Getenv("HACKLESS_FAIL_FAST"))
	}
	if opts.Skip == nil {
		opts.Skip = SplitNames(os.Getenv("HACKLESS_SKIP"))
	}
	if opts.Since == "" {
		opts.Since = os.Getenv("HACKLESS_SINCE")
	}
	if v := os.Getenv("HACKLESS_BASELINE"); v == "off" || v == "0" || v == "false" {
		opts.NoBaseline = true
	}
	cacheDir := opts.CacheDir
	if cacheDir == "" {
		cacheDir = os.Getenv("HACKLESS_CACHE_DIR")
		if cacheDir == "" {
			if dir, err := os.UserCacheDir(); err == nil {
				cacheDir = filepath.Join(dir, "hackless")
			}
		}
	}
	opts.CacheDir = cacheDir
	if opts.NoCache || truthy(os.Getenv("HACKLESS_NOCACHE")) || truthy(os.Getenv("HACKLESS_NO_CACHE")) {
		opts.CacheDir = "" // the build cache is the go command's, always on
	}
	if opts.RemoteCache.URL == "" {
		rc, err := remoteCache(ctx, opts.Dir, cacheDir)
		if err != nil {
			return &ExitError{Code: build.ExitUsage, Err: err}
		}
		opts.RemoteCache = rc
	}
	if opts.Artifacts == "" {
		opts.Artifacts = os.Getenv("ARTIFACTS")
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		opts.GitHub = true
		opts.StepSummary = os.Getenv("GITHUB_STEP_SUMMARY")
	}
	if opts.Plan != "" {
		if err := PrintPlan(ctx, opts, steps...); err != nil {
			fmt.Fprintf(os.Stderr, "hackless: %v\n", err)
			return AsExitError(nil, err)
		}
		return nil
	}
	rep, err := Run(ctx, opts, steps...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hackless: %v\n", err)
	}
	return AsExitError(rep, err)
}

// interruptible returns a context that is cancelled on SIGINT or SIGTERM,
// or when the parent process goes away. The last matters under Mage: a
// SIGTERM to `mage` kills it without passing the signal on, leaving the
// compiled magefile (this process) orphaned; it notices within a quarter of
// a second and stops its own subprocesses. The stop function releases the
// signals.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(ctx)
	go watchParent(ctx, cancel)
	return ctx, func() { cancel(); stopSignals() }
}

func watchParent(ctx context.Context, cancel context.CancelFunc) {
	if runtime.GOOS == "windows" {
		return
	}
	ppid := os.Getppid()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != ppid {
				cancel()
				return
			}
		}
	}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

func truthy(s string) bool {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	return err == nil && b
}

// SplitNames splits a list of step names separated by spaces or commas,
// as WHAT, -what and -skip take them.
func SplitNames(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}

// AsExitError converts the outcome of Run into the error a Mage target
// returns: nil on success, otherwise an *ExitError with the exit code.
func AsExitError(rep *build.Report, err error) error {
	var usage *build.UsageError
	switch {
	case errors.As(err, &usage):
		return &ExitError{Code: build.ExitUsage, Err: err}
	case err != nil:
		return &ExitError{Code: build.ExitFailed, Err: err}
	case rep.Interrupted:
		return &ExitError{Code: build.ExitInterrupted, Err: fmt.Errorf("%s interrupted", rep.Name)}
	case rep.ExitCode() != build.ExitOK:
		var names []string
		for _, r := range rep.Results {
			if r.Status == build.Failed {
				names = append(names, r.Step)
			}
		}
		return &ExitError{Code: rep.ExitCode(), Err: fmt.Errorf("%s failed: %s", rep.Name, strings.Join(names, ", "))}
	}
	return nil
}

// ExitError carries an exit code to Mage, which exits with ExitStatus().
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string   { return e.Err.Error() }
func (e *ExitError) Unwrap() error   { return e.Err }
func (e *ExitError) ExitStatus() int { return e.Code }
