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
	"os"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/steps"
)

// registered holds the magefile's own steps; see Register.
var registered []*build.Step

// Register adds a magefile's own steps to the top-level verify target, and
// those that have an update form to update. Call it from an init function.
func Register(steps ...*build.Step) { registered = append(registered, steps...) }

// Run runs steps with the settings of a Mage target (see build.Main) and
// the update order of the built-in steps (steps.UpdateOrder).
func Run(ctx context.Context, opts build.Options, run ...*build.Step) error {
	opts.Order = steps.UpdateOrder()
	return build.Main(ctx, opts, run...)
}

// Steps returns the steps the top-level target of a mode runs: the
// built-in ones and the registered ones, and in Update mode only those
// with an update form.
func Steps(mode build.Mode) []*build.Step {
	var out []*build.Step
	for _, s := range append(steps.All(), registered...) {
		if mode == build.Verify || s.Fixable() {
			out = append(out, s)
		}
	}
	return out
}

// Verify runs every verify step in parallel. It reports every failure with
// the command that fixes it. A step whose inputs have not changed since it
// last passed is not run again but reported as cached (mage -v says why a
// step was not). Select steps with -what="gofmt vet" or, as in
// Kubernetes, WHAT="gofmt vet" (the steps they require run too). Exit codes:
// 0 all passed, 1 a step failed, 2 usage or configuration error, 130
// interrupted.
func Verify(ctx context.Context,
	what *string, // steps to run, space- or comma-separated (default: $WHAT, else all)
	j *int, // steps run at once (default: $HACKLESS_JOBS, else the number of CPUs)
	failfast *bool, // start no step after the first failure (default: $HACKLESS_FAIL_FAST)
	nocache *bool, // run every step, ignoring cached passes (default: $HACKLESS_NO_CACHE)
) error {
	return run(ctx, build.Verify, Steps(build.Verify), what, j, failfast, nocache)
}

// Update applies every fix that verify proposes. The update steps run in
// graph order. Select steps with -what="gofmt tidy" or WHAT="gofmt tidy".
func Update(ctx context.Context,
	what *string, // steps to run, space- or comma-separated (default: $WHAT, else all)
	j *int, // steps run at once (default: $HACKLESS_JOBS, else the number of CPUs)
) error {
	return run(ctx, build.Update, Steps(build.Update), what, j, nil, nil)
}

func run(ctx context.Context, mode build.Mode, all []*build.Step, what *string, jobs *int, failfast, nocache *bool) error {
	names := os.Getenv("WHAT")
	if what != nil {
		names = *what
	}
	selected, err := build.Select(all, strings.FieldsFunc(names, func(r rune) bool { return r == ' ' || r == ',' }))
	if err != nil {
		return build.AsExitError(nil, err)
	}
	return RunFlags(ctx, mode, jobs, failfast, nocache, selected...)
}

// RunFlags runs steps as Run does, with the settings of the -j, -failfast
// and -nocache flags that the verify and update targets, and each
// verify:X and update:X target, take (nil: not given).
func RunFlags(ctx context.Context, mode build.Mode, jobs *int, failfast, nocache *bool, run ...*build.Step) error {
	opts := build.Options{Mode: mode}
	if jobs != nil {
		opts.Jobs = *jobs
	}
	if failfast != nil {
		opts.FailFast = *failfast
	}
	if nocache != nil {
		opts.NoCache = *nocache
	}
	return Run(ctx, opts, run...)
}
