// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package modgraph reads the module graph that `go mod graph` prints and
// answers the questions dependency checks ask of it: which versions the
// main modules select, who references a module, how deep the graph is.
package modgraph

import (
	"bufio"
	"fmt"
	"slices"
	"strings"
)

// Module is a module path with an optional version; main (workspace)
// modules have none.
type Module struct{ Path, Version string }

func (m Module) String() string {
	if m.Version == "" {
		return m.Path
	}
	return m.Path + "@" + m.Version
}

// Graph is a module requirement graph.
type Graph struct {
	Main  []Module            // the main modules, in order of appearance
	Edges map[Module][]Module // module -> the modules it requires
}

// Parse reads `go mod graph` output: one "from to" pair per line.
func Parse(text string) (*Graph, error) {
	g := &Graph{Edges: make(map[Module][]Module)}
	seenMain := make(map[Module]bool)
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("go mod graph line %d: want two modules, got %q", n, line)
		}
		from, to := parseModule(f[0]), parseModule(f[1])
		if from.Version == "" && !seenMain[from] {
			seenMain[from] = true
			g.Main = append(g.Main, from)
		}
		g.Edges[from] = append(g.Edges[from], to)
	}
	return g, sc.Err()
}

func parseModule(s string) Module {
	p, v, _ := strings.Cut(s, "@")
	return Module{Path: p, Version: v}
}

// IsMain reports whether path is a main module.
func (g *Graph) IsMain(path string) bool {
	return slices.ContainsFunc(g.Main, func(m Module) bool { return m.Path == path })
}

// Effective returns, for each module path the main modules require, the
// version the first main module to require it asks for (a tidy go.mod
// lists the selected version of every module it needs).
func (g *Graph) Effective() map[string]Module {
	eff := make(map[string]Module)
	for _, m := range g.Main {
		for _, to := range g.Edges[m] {
			if _, ok := eff[to.Path]; !ok {
				eff[to.Path] = to
			}
		}
	}
	return eff
}

// Referencers returns, for each module path for which want is true, the
// modules that reference it when the graph is walked from the main
// modules at their effective versions, sorted by path. A main module
// counts when it requires the module itself.
func (g *Graph) Referencers(want func(path string) bool) map[string][]Module {
	eff := g.Effective()
	refs := make(map[string][]Module)
	visited := make(map[Module]bool)
	var walk func(from Module)
	walk = func(from Module) {
		if visited[from] {
			return
		}
		visited[from] = true
		for _, to := range g.Edges[from] {
			if e, ok := eff[to.Path]; ok && !g.IsMain(to.Path) {
				to = e
			}
			if want(to.Path) && !slices.ContainsFunc(refs[to.Path], func(r Module) bool { return r.Path == from.Path }) {
				refs[to.Path] = append(refs[to.Path], from)
			}
			walk(to)
		}
	}
	for _, m := range g.Main {
		walk(m)
	}
	for p := range refs {
		slices.SortFunc(refs[p], func(a, b Module) int { return strings.Compare(a.Path, b.Path) })
	}
	return refs
}

// Stats are the dependency counts kubernetes-sigs/depstat reports.
type Stats struct {
	Direct     int      // modules the main modules require
	Transitive int      // reachable modules that no main module requires
	Total      int      // Direct + Transitive
	Longest    []string // the longest chain of requirements from a main module, as paths
	Cycles     int      // requirement cycles met on the way
}

// Stats counts the modules reachable from the main modules at their
// effective versions and finds the longest chain. A cycle is cut where it
// closes and counted.
func (g *Graph) Stats() Stats {
	eff := g.Effective()
	resolve := func(m Module) Module {
		if e, ok := eff[m.Path]; ok && !g.IsMain(m.Path) {
			return e
		}
		return m
	}
	var s Stats
	direct := make(map[string]bool)
	for _, m := range g.Main {
		for _, to := range g.Edges[m] {
			if !g.IsMain(to.Path) {
				direct[to.Path] = true
			}
		}
	}
	reach := make(map[string]bool)
	longest := make(map[Module][]string) // memo: the longest chain from a module
	onStack := make(map[Module]bool)
	var depth func(m Module) []string
	depth = func(m Module) []string {
		if c, ok := longest[m]; ok {
			return c
		}
		onStack[m] = true
		var best []string
		for _, to := range g.Edges[m] {
			to = resolve(to)
			if !g.IsMain(to.Path) {
				reach[to.Path] = true
			}
			if onStack[to] {
				s.Cycles++
				continue
			}
			if c := depth(to); len(c) > len(best) {
				best = c
			}
		}
		onStack[m] = false
		chain := append([]string{m.Path}, best...)
		longest[m] = chain
		return chain
	}
	for _, m := range g.Main {
		if c := depth(m); len(c) > len(s.Longest) {
			s.Longest = c
		}
	}
	s.Direct = len(direct)
	s.Total = len(reach)
	s.Transitive = s.Total - s.Direct
	return s
}
