// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/workspace"
)

// Tidy checks that `go mod tidy` would change no module's go.mod or go.sum.
// `go mod tidy` works on one module and ignores go.work, so each module
// must reach its sibling modules through replace directives. Update tidies
// the modules one by one, each after the workspace modules it requires,
// so that a module is tidied against its siblings' new requirements.
var Tidy = &build.Step{
	Name: "tidy",
	Doc:  "every module's go.mod and go.sum are tidy",
	// go mod tidy reads what Go files import and their build
	// constraints, never their code: an edit below the imports keeps
	// the cached pass.
	Inputs:    build.Inputs{Headers: []string{"**/*.go"}, Tools: []build.Tool{build.GoCommand}, Go: true},
	Writes:    []string{"go.mod", "go.sum"},
	Scope:     build.ScopeModuleDeps,
	PerModule: true,
	Run:       runTidy,
}

func runTidy(pass *build.Pass) error {
	for _, m := range dependencyOrder(pass.Workspace) {
		if !slices.Contains(pass.Modules(), m) {
			continue
		}
		if err := tidyModule(pass, m); err != nil {
			return err
		}
	}
	return nil
}

// tidyModule runs `go mod tidy` on copies of a module's go.mod and go.sum
// (-modfile) and proposes the results.
func tidyModule(pass *build.Pass, m *workspace.Module) error {
	tmp, err := os.MkdirTemp(pass.Env.TempDir(), "tidy-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// Read the current files: in update mode a sibling tidied earlier may
	// have changed what this module should require, but not its own files.
	mod, err := pass.ReadFile(m.GoModRel())
	if err != nil {
		return err
	}
	sumRel := path.Join(m.Rel, "go.sum")
	sum, err := pass.ReadFile(sumRel)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	hadSum := err == nil
	tmpMod, tmpSum := filepath.Join(tmp, "go.mod"), filepath.Join(tmp, "go.sum")
	if err := os.WriteFile(tmpMod, mod, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(tmpSum, sum, 0o644); err != nil {
		return err
	}
	cmd := pass.Command(m.Rel, "go", "mod", "tidy", "-modfile="+tmpMod)
	cmd.Env = append(cmd.Env, "GOWORK=off") // tidy is per module; -modfile wants it off
	if _, err := pass.Output(cmd); err != nil {
		// Errors name the private copy of go.mod: they are the module's.
		err = errors.New(strings.ReplaceAll(err.Error(), tmpMod, m.GoModRel()))
		return reportGoError(pass, "go mod tidy", m.Rel, err, build.Position{File: m.GoModRel(), Line: 1})
	}
	newMod, err := os.ReadFile(tmpMod)
	if err != nil {
		return err
	}
	newSum, err := os.ReadFile(tmpSum)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	why := "not tidy: `go mod tidy` in " + m.Rel + " would change it"
	if err := pass.Propose(m.GoModRel(), newMod, why); err != nil {
		return err
	}
	if hadSum || len(newSum) > 0 {
		return pass.Propose(sumRel, newSum, why)
	}
	return nil
}

// dependencyOrder returns the workspace's modules so that each comes after
// the workspace modules it requires; modules that require each other keep
// their go.work order.
func dependencyOrder(ws *workspace.Workspace) []*workspace.Module {
	var order []*workspace.Module
	seen := make(map[*workspace.Module]bool)
	var visit func(m *workspace.Module)
	visit = func(m *workspace.Module) {
		if seen[m] {
			return
		}
		seen[m] = true
		for _, r := range m.File.Require {
			if dep := ws.ModuleByPath(r.Mod.Path); dep != nil {
				visit(dep)
			}
		}
		order = append(order, m)
	}
	for _, m := range ws.Modules {
		visit(m)
	}
	return order
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
