// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/modgraph"
	"github.com/hackless/hackless/internal/unwanted"
)

// UnwantedFile is where Deps looks for Kubernetes's unwanted-dependencies
// file unless HACKLESS_UNWANTED_DEPENDENCIES names another.
const UnwantedFile = "hack/unwanted-dependencies.json"

// allowForkComment on a replace line allows a fork.
const allowForkComment = "hackless:allow-fork"

// Deps checks the dependencies of the workspace's modules:
//   - every external module is required at one version by all workspace
//     modules but tools modules and those released on their own
//     (deps.ownVersions of hackless.yaml, which hackless init fills with
//     the modules that do not hold the rule when it adopts: a repository
//     whose modules agree gets the rule as a ratchet, one whose modules
//     keep their own minimums gets it only for those that agree);
//   - every requirement of another workspace module has a replace to its
//     local directory, so that each module also builds with GOWORK=off
//     (again but in tools modules and those released on their own, which
//     require published versions of their siblings);
//   - no version replace is unused (its module is not in the module's
//     build list); directory replaces stay, as go mod tidy needs them to
//     find sibling modules;
//   - no replace pins a version other than the one that would be
//     selected without it (an outdated pin; fix it with update:pin);
//   - no replace points at another module path (a fork), unless its line
//     carries a "// hackless:allow-fork" comment;
//   - when hack/unwanted-dependencies.json exists (Kubernetes's format),
//     every module in spec.pinnedModules is selected at its pinned version,
//     and the status section records exactly which modules still require
//     each module of spec.unwantedModules (dependencies at the versions the
//     workspace selects, and workspace modules that require it directly)
//     and which unwanted modules are vendored (compiled in, without
//     vendoring): a ratchet, so new references fail and so do references
//     that are gone but still recorded.
//
// Update aligns versions to the highest, adds and fixes local replaces
// (never in a module released on its own),
// drops unused replaces and rewrites the status section; it reports what
// it cannot fix.
var Deps = &build.Step{
	Name: "deps",
	Doc:  "one version of each dependency, local replaces, no stale pins, no unwanted modules",
	Inputs: build.Inputs{
		Files:   []string{UnwantedFile, "vendor/modules.txt"},
		Headers: []string{"**/*.go"},
		Env:     []string{"HACKLESS_UNWANTED_DEPENDENCIES"},
		Tools:   []build.Tool{build.GoCommand},
		Go:      true,
	},
	Writes: []string{"go.mod", "*.json"},
	Run:    runDeps,
}

// depsPass carries the go.mod edits of one run.
type depsPass struct {
	*build.Pass
	ws        *workspace.Workspace
	edits     map[*workspace.Module]*modfile.File
	committed map[*workspace.Module]*modfile.File // go.mod at HEAD, nil when unknown
}

// edit returns a private, editable parse of m's go.mod.
func (d *depsPass) edit(m *workspace.Module) (*modfile.File, error) {
	if f, ok := d.edits[m]; ok {
		return f, nil
	}
	f, err := modfile.Parse(m.GoModRel(), m.Data, nil)
	if err != nil {
		return nil, err
	}
	d.edits[m] = f
	return f, nil
}

func runDeps(pass *build.Pass) error {
	d := &depsPass{Pass: pass, ws: pass.Workspace, edits: make(map[*workspace.Module]*modfile.File), committed: make(map[*workspace.Module]*modfile.File)}
	if err := d.oneVersion(); err != nil {
		return err
	}
	if err := d.localReplaces(); err != nil {
		return err
	}
	if err := d.replaces(); err != nil {
		return err
	}
	// In go.work order, so that findings and writes come out the same on
	// every run.
	for _, m := range d.ws.Modules {
		f, ok := d.edits[m]
		if !ok {
			continue
		}
		f.Cleanup()
		out, err := f.Format()
		if err != nil {
			return err
		}
		if err := pass.Propose(m.GoModRel(), out, "dependencies out of line"); err != nil {
			return err
		}
	}
	return d.unwanted()
}

func lineOf(r *modfile.Line) int {
	if r == nil {
		return 0
	}
	return r.Start.Line
}

// oneVersion reports external modules required at different versions.
func (d *depsPass) oneVersion() error {
	type use struct {
		m *workspace.Module
		r *modfile.Require
	}
	uses := make(map[string][]use)
	own := d.Config().Deps.OwnVersions
	for _, m := range d.ws.Modules {
		// Tools modules and the libraries configured to keep their own
		// minimums are out of the one-version rule.
		if d.ws.IsTools(m.Rel) || slices.Contains(own, m.Path) {
			continue
		}
		for _, r := range m.File.Require {
			if d.ws.ModuleByPath(r.Mod.Path) == nil {
				uses[r.Mod.Path] = append(uses[r.Mod.Path], use{m, r})
			}
		}
	}
	for _, p := range slices.Sorted(maps.Keys(uses)) {
		us := uses[p]
		highest := us[0].r.Mod.Version
		for _, u := range us {
			if semver.Compare(u.r.Mod.Version, highest) > 0 {
				highest = u.r.Mod.Version
			}
		}
		var at, moved []string
		for _, u := range us {
			if u.r.Mod.Version == highest {
				at = append(at, u.m.GoModRel())
				if before, known := d.committedVersion(u.m, p); known && before != highest {
					was := "not required at HEAD"
					if before != "" {
						was = before + " at HEAD"
					}
					moved = append(moved, fmt.Sprintf("%s:%d (%s)", u.m.GoModRel(), lineOf(u.r.Syntax), was))
				}
			}
		}
		for _, u := range us {
			if u.r.Mod.Version == highest {
				continue
			}
			msg := fmt.Sprintf("requires %s %s, but %s is required by %s: every module must use one version (update:deps raises it to %s)", p, u.r.Mod.Version, highest, strings.Join(at, ", "), highest)
			if before, _ := d.committedVersion(u.m, p); len(moved) > 0 && before == u.r.Mod.Version {
				// Name the change that split the versions, not the
				// modules that stayed.
				msg = fmt.Sprintf("%s was raised to %s by %s; this module and others still require %s: every module must use one version (update:deps raises them to %s; or revert the raise)", p, highest, strings.Join(moved, ", "), u.r.Mod.Version, highest)
			}
			d.ReportFixable(build.Finding{
				Pos:     build.Position{File: u.m.GoModRel(), Line: lineOf(u.r.Syntax)},
				Message: msg,
			})
			f, err := d.edit(u.m)
			if err != nil {
				return err
			}
			if err := f.AddRequire(p, highest); err != nil {
				return err
			}
		}
	}
	return nil
}

// committedVersion returns the version of p that m's go.mod requires at
// HEAD, "" when it requires none; known is false when there is no HEAD to
// ask (outside git, no commit yet, a new module). It only words findings,
// never decides them.
func (d *depsPass) committedVersion(m *workspace.Module, p string) (version string, known bool) {
	f, ok := d.committed[m]
	if !ok {
		cmd := d.Command(".", "git", "show", "HEAD:"+m.GoModRel())
		if out, err := d.Output(cmd); err == nil {
			f, _ = modfile.ParseLax(m.GoModRel(), out, nil)
		}
		d.committed[m] = f
	}
	if f == nil {
		return "", false
	}
	for _, r := range f.Require {
		if r.Mod.Path == p {
			return r.Mod.Version, true
		}
	}
	return "", true
}

// localReplaces makes every requirement of a workspace module come with a
// replace to its directory, but in modules released on their own
// (deps.ownVersions), which require published versions of their siblings
// (go install <module>/cmd/x@version refuses a go.mod with replaces), and
// in tools modules.
func (d *depsPass) localReplaces() error {
	own := d.Config().Deps.OwnVersions
	for _, m := range d.ws.Modules {
		if d.ws.IsTools(m.Rel) || slices.Contains(own, m.Path) {
			continue
		}
		for _, r := range m.File.Require {
			dep := d.ws.ModuleByPath(r.Mod.Path)
			if dep == nil {
				continue
			}
			rel, err := filepath.Rel(m.Dir, dep.Dir)
			if err != nil {
				return err
			}
			want := filepath.ToSlash(rel)
			if !strings.HasPrefix(want, "../") {
				want = "./" + want
			}
			var have *modfile.Replace
			for _, rep := range m.File.Replace {
				if rep.Old.Path == r.Mod.Path {
					have = rep
				}
			}
			switch {
			case have == nil:
				d.ReportFixable(build.Finding{
					Pos:     build.Position{File: m.GoModRel(), Line: lineOf(r.Syntax)},
					Message: fmt.Sprintf("requires workspace module %s without `replace %s => %s`, so it does not build with GOWORK=off and go mod tidy cannot resolve it", r.Mod.Path, r.Mod.Path, want),
				})
			case have.New.Version != "" || !sameDir(m.Dir, have.New.Path, dep.Dir):
				d.ReportFixable(build.Finding{
					Pos:     build.Position{File: m.GoModRel(), Line: lineOf(have.Syntax)},
					Message: fmt.Sprintf("replaces workspace module %s with %s, not its directory %s", r.Mod.Path, have.New, want),
				})
			default:
				continue
			}
			f, err := d.edit(m)
			if err != nil {
				return err
			}
			if err := f.AddReplace(r.Mod.Path, "", want, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// listedModule is one line of `go list -m -json all`.
type listedModule struct {
	Path, Version string
	Main          bool
	Replace       *struct{ Path, Version string }
}

// replaces reports unused replaces, outdated pins and forks, module by
// module, from the module's own build list (GOWORK=off).
func (d *depsPass) replaces() error {
	for _, m := range d.ws.Modules {
		// Only version replaces can be unused, outdated or forks; a module
		// with directory replaces alone needs no listing.
		if !slices.ContainsFunc(m.File.Replace, func(r *modfile.Replace) bool { return r.New.Version != "" }) {
			continue
		}
		cmd := d.Command(m.Rel, "go", "list", "-m", "-json", "all")
		cmd.Env = append(cmd.Env, "GOWORK=off")
		out, err := d.Output(cmd)
		if err != nil {
			if err := reportGoError(d.Pass, "go list -m all (GOWORK=off)", m.Rel, err, build.Position{File: m.GoModRel(), Line: 1}); err != nil {
				return err
			}
			continue
		}
		inBuild := make(map[string]listedModule)
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var lm listedModule
			if err := dec.Decode(&lm); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return fmt.Errorf("parse go list -m -json: %w", err)
			}
			inBuild[lm.Path] = lm
		}
		for _, rep := range m.File.Replace {
			pos := build.Position{File: m.GoModRel(), Line: lineOf(rep.Syntax)}
			lm, used := inBuild[rep.Old.Path]
			if !used && rep.New.Version != "" {
				// Only version replaces: a directory replace is how go mod
				// tidy finds a sibling module the code is about to import.
				d.ReportFixable(build.Finding{Pos: pos, Message: fmt.Sprintf("replace of %s is unused: the module is not in %s's build list", rep.Old.Path, m.Path)})
				f, err := d.edit(m)
				if err != nil {
					return err
				}
				if err := f.DropReplace(rep.Old.Path, rep.Old.Version); err != nil {
					return err
				}
				continue
			}
			if rep.New.Version == "" || lm.Replace == nil {
				continue // a directory, as for workspace modules
			}
			if lm.Replace.Path != lm.Path && !hasComment(rep.Syntax, allowForkComment) {
				d.Reportf(pos, "%s is replaced by the fork %s %s: revert to the canonical module before merging, or mark the line `// %s`", lm.Path, lm.Replace.Path, lm.Replace.Version, allowForkComment)
			}
			if lm.Replace.Path == lm.Path && lm.Version != lm.Replace.Version {
				d.Reportf(pos, "%s is pinned to %s, but %s would be selected without the pin, which breaks consumers of this module: go tool mage update:pin %s %s", lm.Path, lm.Replace.Version, lm.Version, lm.Path, lm.Version)
			}
		}
	}
	return nil
}

func hasComment(line *modfile.Line, text string) bool {
	if line == nil {
		return false
	}
	for _, c := range append(slices.Clone(line.Comments.Suffix), line.Comments.Before...) {
		if strings.Contains(c.Token, text) {
			return true
		}
	}
	return false
}

// unwanted checks the unwanted-dependencies file, when there is one.
func (d *depsPass) unwanted() error {
	rel := d.Getenv("HACKLESS_UNWANTED_DEPENDENCIES")
	explicit := rel != ""
	if !explicit {
		rel = UnwantedFile
	}
	data, err := d.ReadFile(rel)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		d.Notef("no %s: no modules are unwanted", UnwantedFile)
		return nil
	}
	if err != nil {
		return &build.UsageError{Err: fmt.Errorf("HACKLESS_UNWANTED_DEPENDENCIES: %w", err)}
	}
	file, err := unwanted.Parse(rel, data)
	if err != nil {
		reportConfigError(d.Pass, rel, err)
		return nil
	}
	out, err := d.Output(d.Command(".", "go", "mod", "graph"))
	if err != nil {
		return err
	}
	g, err := modgraph.Parse(string(out))
	if err != nil {
		return err
	}
	isUnwanted := func(p string) bool { _, ok := file.Spec.UnwantedModules[p]; return ok }

	// Pinned modules.
	eff := g.Effective()
	for _, p := range slices.Sorted(maps.Keys(file.Spec.PinnedModules)) {
		pin := file.Spec.PinnedModules[p]
		if got, ok := eff[p]; ok && got.Version != pin.Version {
			d.Reportf(build.Position{File: rel, Line: unwanted.Line(data, `"`+p+`"`, 0)}, "%s is pinned to %s (%s) but %s is selected: go tool mage update:pin %s %s", p, pin.Version, pin.Reason, got.Version, p, pin.Version)
		}
	}
	// The status ratchet.
	var actual unwanted.Status
	for p, refs := range g.Referencers(isUnwanted) {
		for _, r := range refs {
			// A workspace module counts only when it requires the module
			// directly, as in Kubernetes's dependencyverifier.
			if m := d.ws.ModuleByPath(r.Path); m != nil && !requiresDirectly(m, p) {
				continue
			}
			if actual.UnwantedReferences == nil {
				actual.UnwantedReferences = make(map[string][]string)
			}
			actual.UnwantedReferences[p] = append(actual.UnwantedReferences[p], r.Path)
		}
	}
	vendored, err := d.vendoredModules()
	if err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(file.Spec.UnwantedModules)) {
		if vendored[p] {
			actual.UnwantedVendored = append(actual.UnwantedVendored, p)
		}
	}
	statusLine := unwanted.Line(data, `"status"`, 0)
	for _, p := range unwanted.Compare(file.Spec, file.Status, actual) {
		line := unwanted.Line(data, `"`+p.Module+`"`, statusLine)
		if line == 0 {
			line = statusLine
		} else if l := unwanted.Line(data, `"`+p.Entry+`"`, line); p.Entry != "" && l != 0 {
			line = l
		}
		d.ReportFixable(build.Finding{Pos: build.Position{File: rel, Line: line}, Message: p.Message})
	}
	file.Status = actual
	return d.Propose(rel, file.Format(), "the status section is out of date")
}

func requiresDirectly(m *workspace.Module, path string) bool {
	return slices.ContainsFunc(m.File.Require, func(r *modfile.Require) bool { return r.Mod.Path == path && !r.Indirect })
}

// vendoredModules returns the modules in vendor/modules.txt, or, without
// vendoring, the modules compiled into the workspace's packages.
func (d *depsPass) vendoredModules() (map[string]bool, error) {
	out := make(map[string]bool)
	data, err := d.ReadFile("vendor/modules.txt")
	if err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "#" && strings.HasPrefix(f[2], "v") {
				out[f[1]] = true
			}
		}
		return out, sc.Err()
	}
	pkgs, err := d.ws.Deps(d.Context())
	if err != nil {
		return nil, err
	}
	for _, p := range pkgs {
		if p.Module != nil && !p.Module.Main {
			out[p.Module.Path] = true
		}
	}
	return out, nil
}

// sameDir reports whether the replacement directory repl, written in the
// go.mod in base, is dir: replaces are compared as directories, not as
// strings (../../metric from metric/x is ./..).
func sameDir(base, repl, dir string) bool {
	if !modfile.IsDirectoryPath(repl) {
		return false
	}
	if !filepath.IsAbs(repl) {
		repl = filepath.Join(base, filepath.FromSlash(repl))
	}
	return filepath.Clean(repl) == filepath.Clean(dir)
}
