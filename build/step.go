// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package build is what a step is written against, and the engine that
// runs steps: it validates a graph of steps, runs them in parallel under a
// limit in a hermetic environment, and collects their findings and
// proposed file changes into a Report. It prints nothing: package driver
// shows a run on the console and writes its reports, and the Mage targets
// (package targets) fill in its options.
//
// A Step is a plain value, like golang.org/x/tools/go/analysis.Analyzer: a
// name, a one-line doc, the steps it requires, the inputs it reads, the
// files it may write, and a Run function. Run never prints and never
// schedules; it talks to the engine only through its Pass, reporting
// Findings and proposing file contents. The same Run serves both modes: in
// Verify mode a proposed change becomes a finding with a diff and nothing
// is written; in Update mode it is written atomically.
package build

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"

	"github.com/hackless/hackless/build/workspace"
)

// A Step is one check or fix of the workspace.
type Step struct {
	// Name is the step's short name, as in `verify:<name>` and WHAT=.
	Name string
	// Doc is a one-line description, shown in listings.
	Doc string
	// Requires lists the steps that must succeed before this one runs; they
	// join the run when this step does, and their failure skips this step.
	Requires []*Step
	// After lists steps that, when they are part of the same update run,
	// end before this one starts. It only orders writes: an After step is
	// not pulled into the run, its failure does not skip this one, and in
	// a verify run, which writes nothing, it does not order at all. Two
	// steps that may write the same file must be ordered by Requires or
	// After.
	After []*Step
	// Inputs declares what the step reads; results depend on nothing else.
	Inputs Inputs
	// Writes lists the base-name patterns (path.Match syntax, as "go.mod"
	// or "*.go") of the files the step may change, or whole trees as
	// root-relative directories ending in a slash ("vendor/"). A step that
	// writes has an update form; one with no Writes only checks. Proposing
	// a file that matches no pattern is an error.
	Writes []string
	// Scope says how the step's result is cached: for the whole workspace
	// (the default), or module by module, so that a change in one module
	// re-runs only that module's share. A step with a module scope must do
	// only the work of Pass.Modules.
	Scope Scope
	// PerModule says that Run checks each module of Pass.Modules on its
	// own, so that in a verify run the engine may call it once per module,
	// in parallel under the job limit. An update run calls it once, with
	// every module, and Run keeps whatever order it needs.
	PerModule bool
	// Uncached says that the engine never caches the step's result: its
	// tool caches soundly itself (go test), its result is files it
	// builds, or it depends on what no input can describe (git history,
	// the network).
	Uncached bool
	// Validate, when set, checks before any step of the run starts that
	// the step can run on the workspace at all (the programs it runs
	// exist and can be run): an error stops the run as a usage error
	// (exit 2) instead of becoming a failure of the step.
	Validate func(*workspace.Workspace) error
	// Run does the work.
	Run func(*Pass) error
}

// Scope is what a step's cached result covers.
type Scope int

const (
	// ScopeWorkspace: one result for the whole workspace; any input
	// invalidates it.
	ScopeWorkspace Scope = iota
	// ScopeModule: one result per module, from the inputs in the module's
	// directory (and go.work).
	ScopeModule
	// ScopeModuleDeps: one result per module, from the inputs of the
	// module and of the workspace modules it requires, directly or not,
	// as for type checking.
	ScopeModuleDeps
	// ScopePackage: one result per package directory of the workspace
	// modules, from the package's files (its tests included) and the
	// non-test files of the workspace packages it imports, directly or
	// not; every go.work, go.mod and go.sum file counts for every
	// package. An edit re-runs only the edited package and its importers.
	// The step must do only the work of Pass.GoPatterns.
	ScopePackage
)

// Inputs are what a step's result depends on, besides the hermetic
// environment and the hackless version. They are the key's fast
// pre-check: whatever the step reads through its Pass (ReadFile, ReadDir,
// Getenv) is recorded as well and must still hold for a cached result to
// count, so a file named by a variable, or outside the tree, need not be
// declared.
type Inputs struct {
	// Files are slash-separated glob patterns relative to the workspace
	// root; "**/" matches any number of directories ("**/*.go"). For a
	// step with a module scope, the files of a "**/" pattern count for
	// the module that holds them; the files of any other pattern
	// (configuration such as "hack/x.txt"), and every go.work, go.mod and
	// go.sum file, count for every module.
	Files []string
	// Headers are globs of Go files of which only the header counts: the
	// part up to the end of the imports. A step that depends on what
	// packages import, not on their code, stays cached when code changes.
	Headers []string
	// Env names environment variables the step reads.
	Env []string
	// Tools are the programs the step runs; each one's version, as the
	// Tool says how to learn it, is part of the key.
	Tools []Tool
	// Ignored says that the step works on a scratch copy of the whole
	// tree (generators, scripts), which holds the files git ignores too:
	// its Files patterns count those files as well.
	Ignored bool
	// Go says that the step runs the go command on the workspace's
	// packages. The engine then keys it on everything the go command
	// reads there: go.work, go.work.sum, every go.mod and go.sum, every
	// file it compiles (.go, cgo and assembly files, git-ignored or not),
	// the trees of packages that embed files, and the directories of
	// local replace directives; and a module's share on the workspace
	// modules it requires or imports.
	Go bool
}

// A Tool is a program a step runs, found on the PATH of the hermetic
// environment, and how the cache learns which version it is: a tool
// whose output changes with its version must key the step's result.
// A program built from a version a go.mod pins (a tool directive) needs
// no Tool: the go.mod is an input already.
type Tool struct {
	// Name is the program's name ("go" is the go command the run uses).
	Name string
	// Version are the arguments that make it print its version
	// ("--version"); its output is the key. Without them the key is the
	// SHA-256 of the executable.
	Version []string
}

// GoCommand is the go command, keyed by the Go version it reports.
var GoCommand = Tool{Name: "go", Version: []string{"env", "GOVERSION"}}

// Git is git, keyed by the version it reports.
var Git = Tool{Name: "git", Version: []string{"--version"}}

// Fixable reports whether the step has an update form.
func (s *Step) Fixable() bool { return len(s.Writes) > 0 }

func (s *Step) String() string { return s.Name }

// Mode says whether a run checks or fixes.
type Mode int

const (
	// Verify reports what is wrong and what would change, writing nothing.
	Verify Mode = iota
	// Update applies the proposed changes.
	Update
)

func (m Mode) String() string {
	if m == Update {
		return "update"
	}
	return "verify"
}

// Position is a place in a file. File is relative to the workspace root;
// Line and Col are 1-based and 0 when unknown.
type Position struct {
	File      string
	Line, Col int
}

func (p Position) String() string {
	s := p.File
	if strings.ContainsFunc(s, unicode.IsControl) {
		// A name with a newline in it would print across lines, and
		// break a CI annotation: quote it, as Go would write it.
		s = strconv.Quote(s)
	}
	if p.Line > 0 {
		s += fmt.Sprintf(":%d", p.Line)
		if p.Col > 0 {
			s += fmt.Sprintf(":%d", p.Col)
		}
	}
	return s
}

// A Finding is one problem a step found.
type Finding struct {
	Pos     Position
	Message string
	// Diff is a unified diff of the change the step proposes for this
	// file, when it proposes one.
	Diff string `json:",omitempty"`
	// Detail is more text shown below the message, as a failed test's
	// output.
	Detail string `json:",omitempty"`
}

func (f Finding) String() string {
	if f.Pos.File == "" {
		return f.Message
	}
	return f.Pos.String() + ": " + f.Message
}

// writesOverlap reports whether two Writes lists could name the same file.
// It is conservative: patterns it cannot tell apart count as overlapping.
func writesOverlap(a, b []string) bool {
	for _, p := range a {
		for _, q := range b {
			if patternsOverlap(p, q) {
				return true
			}
		}
	}
	return false
}

func patternsOverlap(p, q string) bool {
	pt, qt := strings.HasSuffix(p, "/"), strings.HasSuffix(q, "/")
	switch {
	case pt && qt: // two trees: one holds the other
		return strings.HasPrefix(p, q) || strings.HasPrefix(q, p)
	case pt || qt: // a tree may hold a file of any name
		return true
	}
	pm, qm := strings.ContainsAny(p, "*?["), strings.ContainsAny(q, "*?[")
	switch {
	case !pm && !qm:
		return p == q
	case !pm:
		ok, _ := path.Match(q, p)
		return ok
	case !qm:
		ok, _ := path.Match(p, q)
		return ok
	}
	// Two globs: disjoint only when their literal prefixes or suffixes
	// cannot agree.
	pp, ps := literalEnds(p)
	qp, qs := literalEnds(q)
	return (strings.HasPrefix(pp, qp) || strings.HasPrefix(qp, pp)) &&
		(strings.HasSuffix(ps, qs) || strings.HasSuffix(qs, ps))
}

// literalEnds returns the literal text before the first and after the last
// meta character of a glob.
func literalEnds(p string) (prefix, suffix string) {
	i := strings.IndexAny(p, "*?[")
	j := strings.LastIndexAny(p, "*?]")
	return p[:i], p[j+1:]
}
