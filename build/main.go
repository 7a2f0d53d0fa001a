// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"context"
	"fmt"
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
)

// Main runs steps the way a Mage target does: on the console, with the
// settings of the environment filled in where opts leaves them unset, and
// with SIGINT and SIGTERM turned into a clean stop. It returns nil when
// every step passed, and otherwise an error whose ExitStatus is the exit
// code (see the Exit constants).
//
// Environment, each variable named as its flag: HACKLESS_JOBS (how many
// steps and tools at once), HACKLESS_FAILFAST (stop starting steps after a
// failure), HACKLESS_SKIP (steps not to run), HACKLESS_NOCACHE=1 (run every
// step; HACKLESS_FAIL_FAST and HACKLESS_NO_CACHE, the older spellings,
// still count), NO_COLOR (no colors),
// ARTIFACTS (write junit_<mode>.xml there, for Prow), GITHUB_ACTIONS=true
// (annotations, ::group:: folds, and a summary appended to
// $GITHUB_STEP_SUMMARY), HACKLESS_CACHE_DIR (the step cache; default
// os.UserCacheDir()/hackless) and HACKLESS_CPUPROFILE (write a CPU profile
// of the run to that file).
func Main(ctx context.Context, opts Options, steps ...*Step) error {
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
				return &ExitError{Code: ExitUsage, Err: fmt.Errorf("HACKLESS_JOBS=%q: want a positive number", v)}
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
	if opts.NoCache || truthy(os.Getenv("HACKLESS_NOCACHE")) || truthy(os.Getenv("HACKLESS_NO_CACHE")) {
		opts.CacheDir = ""
	} else if opts.CacheDir == "" {
		opts.CacheDir = os.Getenv("HACKLESS_CACHE_DIR")
		if opts.CacheDir == "" {
			if dir, err := os.UserCacheDir(); err == nil {
				opts.CacheDir = filepath.Join(dir, "hackless")
			}
		}
	}
	if opts.Artifacts == "" {
		opts.Artifacts = os.Getenv("ARTIFACTS")
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		opts.GitHub = true
		opts.StepSummary = os.Getenv("GITHUB_STEP_SUMMARY")
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
