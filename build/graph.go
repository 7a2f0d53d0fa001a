// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"fmt"
	"slices"
	"strings"
)

// graph is a validated set of steps in a deterministic topological order:
// every step comes after the steps it requires.
type graph struct {
	order      []*Step
	preds      map[*Step][]*Step // Requires, plus After steps in the graph
	dependents map[*Step][]*Step // the inverse of preds
}

// schedule returns the edges a run in mode must wait on: in Update mode
// Requires and After; in Verify mode, where nothing is written, only
// Requires, so that steps ordered only for their writes run in parallel.
func (g *graph) schedule(mode Mode) (preds, dependents map[*Step][]*Step) {
	if mode == Update {
		return g.preds, g.dependents
	}
	preds, dependents = make(map[*Step][]*Step), make(map[*Step][]*Step)
	for _, s := range g.order {
		for _, r := range s.Requires {
			if !slices.Contains(preds[s], r) {
				preds[s] = append(preds[s], r)
				dependents[r] = append(dependents[r], s)
			}
		}
	}
	return preds, dependents
}

// UsageError is a mistake in how hackless was called or configured: an
// unknown step, a cycle, a malformed file. It ends the run with exit code 2
// before any step starts.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Select returns the steps among all whose names are in names, in the order
// of all. An unknown name is a UsageError listing the known ones. No names
// selects all.
func Select(all []*Step, names []string) ([]*Step, error) {
	if len(names) == 0 {
		return all, nil
	}
	var known []string
	for _, s := range all {
		known = append(known, s.Name)
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			return nil, usageErrorf("unknown step %q; the steps are: %s", n, strings.Join(known, " "))
		}
	}
	var out []*Step
	for _, s := range all {
		if slices.Contains(names, s.Name) {
			out = append(out, s)
		}
	}
	return out, nil
}

// newGraph validates roots and everything they require: names are unique,
// no step is nil, there is no cycle, and two steps that may write the same
// file are ordered by the graph. order names steps in the order their
// writes happen: a step in it runs after every step named before it that
// is in the graph, as if it listed them in After.
func newGraph(roots []*Step, order ...string) (*graph, error) {
	steps, err := closure(roots)
	if err != nil {
		return nil, err
	}
	g := &graph{preds: make(map[*Step][]*Step), dependents: make(map[*Step][]*Step)}
	in := make(map[*Step]bool, len(steps))
	for _, s := range steps {
		in[s] = true
	}
	byName := make(map[string]*Step, len(steps))
	for _, s := range steps {
		byName[s.Name] = s
	}
	for _, s := range steps {
		preds := slices.Clone(s.Requires)
		if i := slices.Index(order, s.Name); i > 0 {
			for _, name := range order[:i] {
				if a := byName[name]; a != nil && !slices.Contains(preds, a) {
					preds = append(preds, a)
				}
			}
		}
		for _, a := range s.After {
			if a == nil {
				return nil, usageErrorf("step %s runs after an unknown (nil) step", s.Name)
			}
			if in[a] && !slices.Contains(preds, a) {
				preds = append(preds, a)
			}
		}
		g.preds[s] = preds
		for _, p := range preds {
			g.dependents[p] = append(g.dependents[p], s)
		}
	}
	if g.order, err = g.sort(steps); err != nil {
		return nil, err
	}
	if err := g.checkWriters(); err != nil {
		return nil, err
	}
	return g, nil
}

// closure returns roots and every step they require, directly or not, in
// the order first met, checking that none is nil and names are unique.
func closure(roots []*Step) ([]*Step, error) {
	var out []*Step
	seen := make(map[*Step]bool)
	byName := make(map[string]*Step)
	var add func(s, by *Step) error
	add = func(s, by *Step) error {
		switch {
		case s == nil && by == nil:
			return usageErrorf("an unknown (nil) step was given")
		case s == nil:
			return usageErrorf("step %s requires an unknown (nil) step", by.Name)
		case seen[s]:
			return nil
		case s.Name == "" || s.Run == nil:
			return usageErrorf("step %q has no name or no Run function", s.Name)
		case byName[s.Name] != nil:
			return usageErrorf("two different steps are named %q", s.Name)
		}
		seen[s], byName[s.Name] = true, s
		out = append(out, s)
		for _, r := range s.Requires {
			if err := add(r, s); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range roots {
		if err := add(s, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sort orders steps so that each follows its predecessors, keeping the
// given order among independent steps, and reports a cycle as
// "cycle: a -> b -> a".
func (g *graph) sort(steps []*Step) ([]*Step, error) {
	const (
		unvisited = iota
		visiting
		visited
	)
	state := make(map[*Step]int)
	var order, stack []*Step
	var visit func(s *Step) error
	visit = func(s *Step) error {
		switch state[s] {
		case visited:
			return nil
		case visiting:
			var names []string
			for _, t := range stack[slices.Index(stack, s):] {
				names = append(names, t.Name)
			}
			return usageErrorf("cycle: %s -> %s", strings.Join(names, " -> "), s.Name)
		}
		state[s] = visiting
		stack = append(stack, s)
		for _, p := range g.preds[s] {
			if err := visit(p); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[s] = visited
		order = append(order, s)
		return nil
	}
	for _, s := range steps {
		if err := visit(s); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// checkWriters rejects two steps that may write the same file unless one
// requires the other, directly or not.
func (g *graph) checkWriters() error {
	for i, a := range g.order {
		for _, b := range g.order[i+1:] {
			if writesOverlap(a.Writes, b.Writes) && !g.precedes(a, b) && !g.precedes(b, a) {
				return usageErrorf("steps %s and %s may both write the same files (%s / %s) but the graph does not order them: add one to the other's Requires or After",
					a.Name, b.Name, strings.Join(a.Writes, " "), strings.Join(b.Writes, " "))
			}
		}
	}
	return nil
}

// precedes reports whether a must end before b starts.
func (g *graph) precedes(a, b *Step) bool {
	for _, p := range g.preds[b] {
		if p == a || g.precedes(a, p) {
			return true
		}
	}
	return false
}

// Plan returns the steps a run of steps with opts runs (they and every
// step they require), in graph order, or the error Run would return for
// the graph.
func Plan(opts Options, steps ...*Step) ([]*Step, error) {
	g, err := newGraph(steps, opts.Order...)
	if err != nil {
		return nil, err
	}
	return slices.Clone(g.order), nil
}
