// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/build/workspace"
)

// affected is what the changes since a base can affect (Options.Since).
type affected struct {
	base string
	// files changed since the merge base with base, committed or not,
	// and untracked files git does not ignore; root-relative.
	files []string
	// all is why everything runs (go.work, a go.mod changed), or "".
	all    string
	owners *workspace.Owners
	// deps are the workspace modules each workspace module requires or
	// imports.
	deps map[string][]string
	// goDirs are the directories that hold Go files: only a file in one
	// of them, or below, can be embedded.
	goDirs map[string]bool
}

// changesSince finds what changed between the merge base of base and
// HEAD and the working tree.
func changesSince(ctx context.Context, ws *workspace.Workspace, base string) (*affected, error) {
	git := func(args ...string) ([]byte, error) {
		cmd := ws.Env.Command(ctx, ws.Root, "git", args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	mb, err := git("merge-base", base, "HEAD")
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("-since=%s: no merge base with HEAD: %w", base, err)}
	}
	diff, err := git("diff", "--name-only", "-z", "--no-renames", strings.TrimSpace(string(mb)))
	if err != nil {
		return nil, err
	}
	untracked, err := git("ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return nil, err
	}
	// git names files relative to the repository's top, which may lie
	// above the workspace root.
	top, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	prefix := ws.Rel(strings.TrimSpace(string(top)))
	a := &affected{base: base}
	for _, f := range strings.Split(string(diff)+"\x00"+string(untracked), "\x00") {
		if f == "" {
			continue
		}
		if prefix != "." && prefix != "" {
			f = path.Join(prefix, f)
		}
		if strings.HasPrefix(f, "../") {
			continue // outside the workspace
		}
		if !slices.Contains(a.files, f) {
			a.files = append(a.files, f)
		}
	}
	slices.Sort(a.files)
	for _, f := range a.files {
		switch b := path.Base(f); {
		case b == "go.work" || b == "go.work.sum" || b == "go.mod" || b == "go.sum" || f == config.File:
			a.all = f + " changed"
		}
	}
	if a.all != "" || len(a.files) == 0 {
		return a, nil
	}
	if a.owners, err = ws.Owners(ctx); err != nil {
		return nil, err
	}
	goFiles, err := ws.GoFiles(ctx)
	if err != nil {
		return nil, err
	}
	a.goDirs = make(map[string]bool)
	for _, f := range goFiles {
		a.goDirs[path.Dir(f)] = true
	}
	// A module depends on the modules its go.mod requires and those its
	// packages import (a workspace needs no requirement).
	deps := make(map[string][]string)
	a.deps = deps
	for _, m := range ws.Modules {
		if m.File == nil {
			continue
		}
		for _, r := range m.File.Require {
			if d := ws.ModuleByPath(r.Mod.Path); d != nil {
				deps[m.Rel] = append(deps[m.Rel], d.Rel)
			}
		}
	}
	pkgs, err := ws.Packages(ctx)
	if err != nil {
		return nil, err
	}
	modOf := make(map[string]string) // import path -> module directory
	for _, p := range pkgs {
		if p.Module != nil && p.Module.Main {
			modOf[p.ImportPath] = ws.Rel(p.Module.Dir)
		}
	}
	for _, p := range pkgs {
		if p.Module == nil || !p.Module.Main {
			continue
		}
		from := ws.Rel(p.Module.Dir)
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			if to, ok := modOf[imp]; ok && to != from {
				deps[from] = append(deps[from], to)
			}
		}
	}
	return a, nil
}

// dependents returns the modules and every workspace module that
// requires or imports one of them, directly or not.
func (a *affected) dependents(modules map[string]bool) map[string]bool {
	out := maps.Clone(modules)
	for grew := true; grew; {
		grew = false
		for from, tos := range a.deps {
			if !out[from] && slices.ContainsFunc(tos, func(to string) bool { return out[to] }) {
				out[from], grew = true, true
			}
		}
	}
	return out
}

// step says whether s must run, and for a step with a module scope the
// modules it must run for (nil: all); or why it is left out.
func (a *affected) step(ws *workspace.Workspace, s *Step) (run bool, modules []*workspace.Module, why string) {
	if a.all != "" {
		return true, nil, ""
	}
	if len(a.files) == 0 {
		return false, nil, "nothing changed since " + a.base
	}
	files, headers := patterns(s)
	globs := slices.Concat(files, headers)
	if len(globs) == 0 && !s.Inputs.Go {
		return true, nil, "" // it declares no inputs: it may read anything
	}
	sharedHit := false // a changed input that counts for every module
	var hit []string
	for _, f := range a.files {
		matched := false
		for _, g := range globs {
			if MatchGlob(g, f) {
				matched = true
				sharedHit = sharedHit || shared(g)
			}
		}
		// The go command may compile or embed any file of a package's
		// directory tree.
		if !matched && s.Inputs.Go && a.embeddable(f) {
			matched = true
		}
		if matched {
			hit = append(hit, f)
		}
	}
	if len(hit) == 0 {
		return false, nil, fmt.Sprintf("none of its inputs changed since %s", a.base)
	}
	if s.Scope == ScopeWorkspace || sharedHit {
		return true, nil, ""
	}
	want := make(map[string]bool)
	for _, f := range hit {
		want[a.owners.Of(f)] = true
	}
	if s.Scope == ScopeModuleDeps || s.Inputs.Go {
		want = a.dependents(want)
	}
	for _, m := range ws.Modules {
		if want[m.Rel] {
			modules = append(modules, m)
		}
	}
	if len(modules) == 0 {
		return false, nil, fmt.Sprintf("no module it checks changed since %s", a.base)
	}
	return true, modules, ""
}

// embeddable reports whether a package's //go:embed could name f: it lies
// in a directory that holds Go files, or below one.
func (a *affected) embeddable(f string) bool {
	for d := path.Dir(f); ; d = path.Dir(d) {
		if a.goDirs[d] {
			return true
		}
		if d == "." || d == "/" {
			return false
		}
	}
}
