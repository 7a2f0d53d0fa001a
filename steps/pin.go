// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/workspace"
)

// PinSpec says what to pin: Module at Ref, or, when Replacement is set, the
// fork Replacement at Ref in place of Module.
type PinSpec struct {
	Module, Replacement, Ref string
}

// ParsePin reads the arguments of update:pin: MODULE[=REPLACEMENT] and REF.
func ParsePin(module, ref string) (PinSpec, error) {
	mod, repl, _ := strings.Cut(module, "=")
	if mod == "" || ref == "" || strings.Contains(mod, "@") || strings.Contains(repl, "@") {
		return PinSpec{}, &build.UsageError{Err: fmt.Errorf("update:pin %s %s: want MODULE[=REPLACEMENT] REF, as golang.org/x/text v0.21.0", module, ref)}
	}
	return PinSpec{Module: mod, Replacement: repl, Ref: ref}, nil
}

// Pin returns the step that pins a dependency, as Kubernetes's
// hack/pin-dependency.sh: it resolves the ref (a tag, branch or commit) to
// a version, requires the module at that version in every workspace module
// whose build list contains it (the root module when none does), adds
// `replace MODULE => REPLACEMENT VERSION` there for a fork, and tidies
// those modules in dependency order. A ref that does not resolve fails
// before anything is written. If other requirements keep a higher version
// selected, it says so and how to force the pin with a replace.
func Pin(spec PinSpec) *build.Step {
	return &build.Step{
		Name:   "pin",
		Doc:    "pin " + spec.Module + " at " + spec.Ref,
		Inputs: build.Inputs{Files: goModFiles, Tools: []build.Tool{build.GoCommand}},
		Writes: []string{"go.mod", "go.sum"},
		Run:    func(pass *build.Pass) error { return runPin(pass, spec) },
	}
}

func runPin(pass *build.Pass, spec PinSpec) error {
	ws := pass.Workspace
	if ws.ModuleByPath(spec.Module) != nil {
		return &build.UsageError{Err: fmt.Errorf("%s is a module of this workspace; pin external modules only", spec.Module)}
	}
	target := spec.Module
	if spec.Replacement != "" {
		target = spec.Replacement
	}
	version, err := resolve(pass, target, spec.Ref)
	if err != nil {
		return err
	}
	pass.Notef("%s@%s is %s", target, spec.Ref, version)

	var affected []*workspace.Module
	for _, m := range ws.Modules {
		inBuild, err := buildListHas(pass, m, spec.Module)
		if err != nil {
			return err
		}
		if inBuild {
			affected = append(affected, m)
		}
	}
	if len(affected) == 0 {
		root := ws.Modules[0]
		for _, m := range ws.Modules {
			if m.Rel == "." {
				root = m
			}
		}
		affected = append(affected, root)
	}
	for _, m := range affected {
		f, err := modfile.Parse(m.GoModRel(), m.Data, nil)
		if err != nil {
			return err
		}
		if err := f.AddRequire(spec.Module, version); err != nil {
			return err
		}
		if spec.Replacement != "" {
			if err := f.AddReplace(spec.Module, "", spec.Replacement, version); err != nil {
				return err
			}
		}
		f.Cleanup()
		out, err := f.Format()
		if err != nil {
			return err
		}
		if err := pass.Propose(m.GoModRel(), out, fmt.Sprintf("pins %s at %s", spec.Module, version)); err != nil {
			return err
		}
	}
	for _, m := range dependencyOrder(ws) {
		if slices.Contains(affected, m) {
			if err := tidyModule(pass, m); err != nil {
				return err
			}
		}
	}
	if spec.Replacement != "" || pass.Mode != build.Update {
		return nil
	}
	// Did the pin take? A higher requirement elsewhere wins over a require.
	for _, m := range affected {
		data, err := pass.ReadFile(m.GoModRel())
		if err != nil {
			return err
		}
		f, err := modfile.Parse(m.GoModRel(), data, nil)
		if err != nil {
			return err
		}
		for _, r := range f.Require {
			if r.Mod.Path == spec.Module && r.Mod.Version != version {
				pass.Reportf(build.Position{File: m.GoModRel(), Line: lineOf(r.Syntax)},
					"%s is selected at %s, not the pinned %s, because other requirements need the higher version; to force it, pin with a replace: go tool mage update:pin %s=%s %s",
					spec.Module, r.Mod.Version, version, spec.Module, spec.Module, spec.Ref)
			}
		}
	}
	return nil
}

// resolve turns a ref into the module's canonical version, asking the
// module proxy from a directory outside any module.
func resolve(pass *build.Pass, module, ref string) (string, error) {
	dir, err := os.MkdirTemp("", "hackless-pin-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	cmd := pass.Command(dir, "go", "list", "-m", "-json", module+"@"+ref)
	cmd.Env = append(cmd.Env, "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := pass.Output(cmd)
	if err != nil {
		if pass.Context().Err() != nil {
			return "", err
		}
		return "", fmt.Errorf("cannot resolve %s@%s, so nothing was changed: %s", module, ref, lastLines(err.Error(), 3))
	}
	var m struct{ Version string }
	if err := json.Unmarshal(out, &m); err != nil || m.Version == "" {
		return "", fmt.Errorf("go list -m %s@%s: no version in %q", module, ref, out)
	}
	return m.Version, nil
}

// buildListHas reports whether module is in m's build list (GOWORK=off).
func buildListHas(pass *build.Pass, m *workspace.Module, module string) (bool, error) {
	cmd := pass.Command(m.Rel, "go", "list", "-m", "-f", "{{.Path}}", "all")
	cmd.Env = append(cmd.Env, "GOWORK=off")
	out, err := pass.Output(cmd)
	if err != nil {
		return false, fmt.Errorf("list the build list of %s: %w", m.Path, err)
	}
	return slices.Contains(strings.Fields(string(out)), module), nil
}
