// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package targets holds hackless's top-level Mage targets. Import it into a
// magefile without an alias:
//
//	//mage:import
//	_ "github.com/hackless/hackless/targets"
//
// to get `verify` and `update`. A magefile adds its own steps to them with
// Register, from an init function.
package targets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/build/gocache"
	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/steps"
)

// The magefile serves the go command's build cache when the go commands
// of its own run start it as GOCACHEPROG (see build.Options.GoCacheProg):
// the same binary, so nothing is built or installed for it.
func init() {
	if len(os.Args) == 2 && os.Args[1] == gocache.Flag {
		os.Exit(gocache.Main())
	}
}

// quoteArg quotes a path for a command line that the go command splits
// (GOCACHEPROG), when it must be.
func quoteArg(s string) string {
	if !strings.ContainsAny(s, " '\"\t") {
		return s
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	return `"` + s + `"`
}

// registered holds the magefile's own steps; see Register.
var registered []*build.Step

// Register adds a magefile's own steps to the top-level verify target, and
// those that have an update form to update. Call it from an init function.
func Register(steps ...*build.Step) { registered = append(registered, steps...) }

// Run runs steps with the settings of a Mage target (see driver.Main) and
// the update order of the built-in steps (steps.UpdateOrder). Fix hints
// and CI matrices name a built-in step's own targets, and a registered
// step as update -what=<name>.
func Run(ctx context.Context, opts build.Options, run ...*build.Step) error {
	return Main(ctx, driver.Options{Options: opts}, run...)
}

// Main runs steps as driver.Main does, with the update order of the
// built-in steps, their targets named in fix hints, and every step's log
// shown under Mage's -v.
//
// The steps that are not built in (registered steps, scripts) write after
// the built-in ones, one after another (see updateOrder).
func Main(ctx context.Context, opts driver.Options, run ...*build.Step) error {
	if exe, err := os.Executable(); err == nil && opts.GoCacheProg == "" {
		opts.GoCacheProg = quoteArg(exe) + " " + gocache.Flag
	}
	if opts.Shadow == nil && opts.Mode == build.Verify {
		run, opts.Shadow = shadowPairs(ctx, run)
	}
	opts.Order = updateOrder(run)
	opts.HasTargets = hasTargets
	if opts.Notices == nil {
		opts.Notices = func(ws *workspace.Workspace) []string {
			return append(inferred(ws), steps.Uncovered(ws, run)...)
		}
	}
	opts.Verbose = opts.Verbose || mg.Verbose()
	return driver.Main(ctx, opts, run...)
}

// updateOrder is the built-in steps' update order followed by the other
// steps of run that write, each after the steps it requires or runs
// after (the order given where none does), so that it never contradicts
// the graph.
func updateOrder(run []*build.Step) []string {
	order := steps.UpdateOrder()
	seen := make(map[*build.Step]bool)
	var visit func(s *build.Step)
	visit = func(s *build.Step) {
		if seen[s] {
			return
		}
		seen[s] = true
		for _, r := range slices.Concat(s.Requires, s.After) {
			visit(r)
		}
		if s.Fixable() && !slices.Contains(order, s.Name) {
			order = append(order, s.Name)
		}
	}
	for _, s := range run {
		visit(s)
	}
	return order
}

// hasTargets reports whether a step has verify:X and update:X targets:
// the built-in ones do.
func hasTargets(step string) bool {
	return slices.ContainsFunc(steps.All(), func(s *build.Step) bool { return s.Name == step })
}

// Steps returns the steps the top-level target of a mode runs: the
// built-in ones, the registered ones and the scripts and Make targets
// that the repository's hackless.yaml declares (see steps.ScriptSteps and
// steps.MakeSteps), and in
// Update mode only those with an update form. A configuration that cannot
// be read is a usage error.
func Steps(ctx context.Context, mode build.Mode) ([]*build.Step, error) {
	all := append(steps.All(), registered...)
	if root, err := workspace.RootOf(ctx, "."); err == nil {
		cfg, err := workspace.LoadConfig(root)
		if err != nil {
			return nil, &build.UsageError{Err: err}
		}
		scripts, err := steps.ScriptSteps(root, cfg.Scripts)
		if err != nil {
			return nil, &build.UsageError{Err: err}
		}
		all = append(all, scripts...)
		all = append(all, steps.MakeSteps(root, cfg.Make)...)
	}
	var out []*build.Step
	for _, s := range all {
		if mode == build.Verify || s.Fixable() {
			out = append(out, s)
		}
	}
	return out, nil
}

// Flags are the flags of the verify and update targets and of each
// verify:X and update:X target; nil means not given, and the variable of
// the same name decides (see driver.Main).
type Flags struct {
	Jobs     *int    // -jobs, HACKLESS_JOBS
	FailFast *bool   // -failfast, HACKLESS_FAILFAST
	NoCache  *bool   // -nocache, HACKLESS_NOCACHE
	Skip     *string // -skip, HACKLESS_SKIP
	Since    *string // -since, HACKLESS_SINCE
	Baseline *string // -baseline=off, HACKLESS_BASELINE
}

// Verify runs every verify step in parallel. It reports every failure with
// the command that fixes it. A step whose inputs have not changed since it
// last passed is not run again but reported as cached (mage -v says why a
// step was not). Select steps with -what="gofmt vet" or, as in
// Kubernetes, WHAT="gofmt vet" (the steps they require run too); leave
// some out with -skip="lint". -since=origin/main runs only what the
// changes since that ref (committed or not) can affect, and says what it
// left out and why; a changed go.work, go.mod or go.sum runs everything.
// Exit codes: 0 all passed, 1 a step failed, 2 usage or configuration
// error, 130 interrupted.
func Verify(ctx context.Context,
	what *string, // steps to run, space- or comma-separated (default: $WHAT, else all)
	skip *string, // steps not to run (default: $HACKLESS_SKIP)
	since *string, // run only what the changes since this git ref can affect (default: $HACKLESS_SINCE)
	jobs *int, // steps and tools run at once (default: $HACKLESS_JOBS, else the number of CPUs)
	failfast *bool, // stop at the first failure (default: $HACKLESS_FAILFAST)
	nocache *bool, // run every step, ignoring cached passes (default: $HACKLESS_NOCACHE)
	baseline *string, // off shows the findings hackless-baseline.json accepts (default: $HACKLESS_BASELINE)
) error {
	return run(ctx, build.Verify, what, Flags{Jobs: jobs, FailFast: failfast, NoCache: nocache, Skip: skip, Since: since, Baseline: baseline})
}

// Baseline records the findings a verify of every step makes now in
// hackless-baseline.json, at the root: the findings the repository lives
// with for now (pre-existing gofmt or lint findings, say), known by step,
// file and message (not line), so that verify fails only on new ones. Run
// it again when findings are fixed, to shrink it; commit the file.
func Baseline(ctx context.Context) error {
	all, err := Steps(ctx, build.Verify)
	if err != nil {
		return driver.AsExitError(nil, err)
	}
	opts := driver.Options{Options: build.Options{Mode: build.Verify, NoBaseline: true, Order: updateOrder(all), HasTargets: hasTargets}, Out: os.Stdout}
	rep, err := driver.Run(ctx, opts, all...)
	if err != nil {
		return driver.AsExitError(rep, err)
	}
	b := build.NewBaseline(rep)
	if err := b.Write(rep.Root); err != nil {
		return err
	}
	fmt.Printf("%s: %d findings recorded\n", build.BaselineFile, b.Len())
	return nil
}

// Update applies every fix that verify proposes. The update steps run in
// graph order. Select steps with -what="gofmt tidy" or WHAT="gofmt tidy",
// and leave some out with -skip="lint".
func Update(ctx context.Context,
	what *string, // steps to run, space- or comma-separated (default: $WHAT, else all)
	skip *string, // steps not to run (default: $HACKLESS_SKIP)
	jobs *int, // steps and tools run at once (default: $HACKLESS_JOBS, else the number of CPUs)
	failfast *bool, // stop at the first failure (default: $HACKLESS_FAILFAST)
) error {
	return run(ctx, build.Update, what, Flags{Jobs: jobs, FailFast: failfast, Skip: skip})
}

// Plan prints what verify would do, without running anything: each step
// (those -what names, as for verify, and those they require), whether its
// last pass still holds and it would be reported as cached, or why it
// would run again (the input that changed, the module whose share is
// stale). -json prints the plan for machines; -dot prints a Graphviz graph
// of the steps, their requirements and the modules each would run for.
func Plan(ctx context.Context,
	what *string, // steps to plan, space- or comma-separated (default: $WHAT, else all)
	skip *string, // steps not to run (default: $HACKLESS_SKIP)
	since *string, // plan only what the changes since this git ref can affect (default: $HACKLESS_SINCE)
	json *bool, // print the plan as JSON
	dot *bool, // print the plan as a Graphviz graph
) error {
	selected, err := selectSteps(ctx, build.Verify, what)
	if err != nil {
		return err
	}
	opts := driver.Options{Options: build.Options{Mode: build.Verify}, Plan: "text"}
	if skip != nil {
		opts.Skip = driver.SplitNames(*skip)
	}
	if since != nil {
		opts.Since = *since
	}
	switch {
	case json != nil && *json:
		opts.Plan = "json"
	case dot != nil && *dot:
		opts.Plan = "dot"
	}
	return Main(ctx, opts, selected...)
}

func run(ctx context.Context, mode build.Mode, what *string, flags Flags) error {
	selected, err := selectSteps(ctx, mode, what)
	if err != nil {
		return err
	}
	return RunFlags(ctx, mode, flags, selected...)
}

// selectSteps returns the steps of a mode that -what (else $WHAT) names,
// all of them when it names none; its errors are *driver.ExitError values.
func selectSteps(ctx context.Context, mode build.Mode, what *string) ([]*build.Step, error) {
	all, err := Steps(ctx, mode)
	if err != nil {
		return nil, driver.AsExitError(nil, err)
	}
	names := os.Getenv("WHAT")
	if what != nil {
		names = *what
	}
	selected, err := build.Select(all, driver.SplitNames(names))
	if err != nil {
		return nil, driver.AsExitError(nil, err)
	}
	return selected, nil
}

// RunFlags runs steps as Run does, with the settings of the flags given.
func RunFlags(ctx context.Context, mode build.Mode, flags Flags, run ...*build.Step) error {
	opts := build.Options{Mode: mode}
	if flags.Jobs != nil {
		opts.Jobs = *flags.Jobs
	}
	if flags.FailFast != nil {
		opts.FailFast = *flags.FailFast
	}
	if flags.NoCache != nil {
		opts.NoCache = *flags.NoCache
	}
	if flags.Skip != nil {
		opts.Skip = driver.SplitNames(*flags.Skip)
	}
	if flags.Since != nil {
		opts.Since = *flags.Since
	}
	if flags.Baseline != nil {
		opts.NoBaseline = *flags.Baseline == "off"
	}
	return Run(ctx, opts, run...)
}

// shadowPairs returns the steps of a verify run with hackless.yaml's
// shadow pairs applied: a pair in shadow runs its built-in step beside
// the own check (the map of the pairs, built-in to own), a switched one
// drops the own check.
func shadowPairs(ctx context.Context, run []*build.Step) ([]*build.Step, map[string]string) {
	root, err := workspace.RootOf(ctx, ".")
	if err != nil {
		return run, nil
	}
	cfg, err := workspace.LoadConfig(root)
	if err != nil || len(cfg.Shadow) == 0 {
		return run, nil
	}
	pairs := make(map[string]string)
	for _, sp := range cfg.Shadow {
		if sp.Switched {
			run = slices.DeleteFunc(slices.Clone(run), func(s *build.Step) bool { return s.Name == sp.Own })
			continue
		}
		if slices.ContainsFunc(run, func(s *build.Step) bool { return s.Name == sp.Builtin }) && slices.ContainsFunc(run, func(s *build.Step) bool { return s.Name == sp.Own }) {
			pairs[sp.Builtin] = sp.Own
		}
	}
	return run, pairs
}

// Shadow prints, for each built-in step run in shadow beside the
// repository's own check (hackless.yaml's shadow pairs), how often the
// two agreed over the verify runs recorded on this machine, and the last
// run's verdict with the files each side named. Switch a pair over with
// switched: true once they agree.
func Shadow(ctx context.Context) error {
	root, err := workspace.RootOf(ctx, ".")
	if err != nil {
		return driver.AsExitError(nil, err)
	}
	h, err := driver.LoadShadowHistory(root)
	if err != nil {
		return err
	}
	if len(h.Pairs) == 0 {
		fmt.Println("no shadow pairs have run: name them under shadow in hackless.yaml, then run verify")
		return nil
	}
	for _, p := range h.Pairs {
		fmt.Printf("%s beside %s: agreed in %d of %d runs; last: %s\n", p.Builtin, p.Own, p.Agreed, p.Runs, p.Last.Verdict)
		if !p.Last.Agree() {
			fmt.Printf("    %s's files: %s\n    %s's files: %s\n", p.Builtin, strings.Join(p.Last.BuiltinFiles, ", "), p.Own, strings.Join(p.Last.OwnFiles, ", "))
			for _, f := range p.Last.BuiltinFindings {
				fmt.Printf("    %s: %s\n", p.Builtin, f)
			}
		}
	}
	return nil
}

// inferred names, on a repository's first verify (no durations recorded
// yet), the settings hackless init inferred and wrote into hackless.yaml,
// so that the first summary says by what the repository is held.
func inferred(ws *workspace.Workspace) []string {
	if _, err := os.Stat(filepath.Join(driver.ReportDir(ws.Root), "durations.json")); err == nil {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(ws.Root, config.File))
	if err != nil || !strings.Contains(string(data), "hackless init wrote what it read") {
		return nil
	}
	c := ws.Config
	var set []string
	if n := len(c.Deps.OwnVersions); n > 0 {
		set = append(set, fmt.Sprintf("deps.ownVersions (%d modules released on their own)", n))
	}
	if n := len(c.Boilerplate.Rules); n > 0 {
		set = append(set, "boilerplate.rules (the header the Go files share)")
	}
	if p := c.Typecheck.Platforms; len(p) > 0 {
		set = append(set, "typecheck.platforms ["+strings.Join(p, ", ")+"]")
	}
	if n := len(c.Make.Targets); n > 0 {
		set = append(set, fmt.Sprintf("make.targets (%d of the repository's own checks)", n))
	}
	if n := len(c.Shadow); n > 0 {
		set = append(set, fmt.Sprintf("shadow (%d built-in steps beside them)", n))
	}
	if len(set) == 0 {
		return []string{"hackless.yaml, as hackless init wrote it, holds the defaults: the repository's modules agree, and nothing else was inferred"}
	}
	return []string{"hackless.yaml, as hackless init inferred it from the repository: " + strings.Join(set, "; ")}
}
