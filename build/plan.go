// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/hackless/hackless/build/workspace"
)

// A PlannedStep is what a run would do with one step, as DryRun tells it.
type PlannedStep struct {
	Step     string
	Requires []string `json:",omitempty"`
	// Run is false when the step would not run: its stored pass still
	// holds (it would be reported as cached), or it is skipped as asked.
	Run bool
	// Why says why it runs (never cached, the input that changed since
	// its last pass, ...) or why it does not.
	Why string
	// Modules are the shares of a step with a module scope, each with
	// whether it runs and why.
	Modules []PlannedModule `json:",omitempty"`
}

// A PlannedModule is one module's share of a step with a module scope.
type PlannedModule struct {
	Module string
	Run    bool
	Why    string
}

// DryRun says, for each step a Run with opts would run (the steps and
// those they require, in graph order), whether it would run or be
// reported as cached, and why, without running anything or writing to
// the cache. It loads the workspace and computes each step's key as Run
// does; a step whose requirement fails would in fact be skipped, which
// a dry run cannot know. Errors are those Run returns before any step
// starts.
func DryRun(ctx context.Context, opts Options, steps ...*Step) ([]PlannedStep, error) {
	g, err := newGraph(steps, opts.Order...)
	if err != nil {
		return nil, err
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	ws, err := workspace.Load(ctx, dir, opts.Env)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	defer ws.Close()
	var change *affected
	if opts.Since != "" {
		if change, err = changesSince(ctx, ws, opts.Since); err != nil {
			return nil, err
		}
	}
	var keys *keyer
	why := ""
	switch {
	case opts.Mode == Update:
		why = "an update runs every step it names"
	case opts.CacheDir == "":
		why = "the cache is off (-nocache)"
	default:
		if keys, err = openKeys(ctx, ws, opts.CacheDir, opts.RemoteCache, g.order); err != nil {
			why = "the cache cannot be used: " + err.Error()
		} else {
			defer keys.close()
		}
	}
	var out []PlannedStep
	for _, s := range g.order {
		p := PlannedStep{Step: s.Name, Run: true, Why: why}
		for _, r := range s.Requires {
			p.Requires = append(p.Requires, r.Name)
		}
		mods := ws.Modules
		affects, unaffected := true, ""
		if change != nil {
			var only []*workspace.Module
			if affects, only, unaffected = change.step(ws, s); only != nil {
				mods = only
			}
		}
		switch {
		case slices.Contains(opts.Skip, s.Name):
			p.Run, p.Why = false, "skipped as asked (-skip)"
		case !affects:
			p.Run, p.Why = false, notAffected+unaffected
		case keys == nil:
		case s.Uncached:
			p.Why = "never cached: its tool caches soundly itself, or its result depends on what no input describes"
		case s.Scope == ScopeWorkspace:
			_, e, miss, err := keys.lookup(ctx, s, nil)
			switch {
			case err != nil:
				p.Why = "no key: " + err.Error()
			case e != nil && e.Remote:
				p.Run, p.Why = false, "cached in the remote cache: its inputs are as when it passed there"
			case e != nil:
				p.Run, p.Why = false, "cached: its inputs are as when it last passed"
			default:
				p.Why = miss
			}
		default:
			runs := 0
			for _, m := range mods {
				pm := keys.planned(ctx, s, m)
				if pm.Run {
					runs++
				}
				p.Modules = append(p.Modules, pm)
			}
			p.Run = runs > 0
			p.Why = fmt.Sprintf("%d of %d modules run", runs, len(ws.Modules))
			if len(mods) < len(ws.Modules) {
				p.Why += fmt.Sprintf(" (%d affected since %s)", len(mods), opts.Since)
			}
			if runs == 0 {
				p.Why = "cached: every module's inputs are as when it last passed"
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// planned says, for DryRun, whether a step with a module scope would run
// for a module, and why.
func (k *keyer) planned(ctx context.Context, s *Step, m *workspace.Module) PlannedModule {
	if s.Scope == ScopePackage {
		return k.plannedPackages(ctx, s, m)
	}
	pm := PlannedModule{Module: m.Rel, Run: true}
	_, e, miss, err := k.lookup(ctx, s, m)
	switch {
	case err != nil:
		pm.Why = "no key: " + err.Error()
	case e != nil && e.Remote:
		pm.Run, pm.Why = false, "cached (remote)"
	case e != nil:
		pm.Run, pm.Why = false, "cached"
	default:
		pm.Why = miss
	}
	return pm
}
