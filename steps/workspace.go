// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"errors"
	"fmt"
	"go/version"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/build/workspace"
)

// Workspace checks that go.work uses exactly the repository's modules and
// that the go and toolchain lines agree.
//
// Modules are the go.mod files in the tree (in a git work tree: tracked,
// or untracked and not ignored), leaving out vendor, testdata, _output and
// hidden directories. A module that is deliberately kept out of the
// workspace, such as a tools module whose requirements must not raise the
// versions everyone builds with, is named in go.work by a comment line:
//
//	// hackless:exclude ./hack/tools
//
// The version policy, with go.work as the one source of truth:
//   - go.work has a go line, and it is at least every module's go line
//     (the go command refuses otherwise); update raises it to the highest;
//   - the workspace toolchain is go.work's toolchain line, or, when it has
//     none, the highest toolchain line of any go.mod; update writes it to
//     go.work; every go.mod that has a toolchain line names that toolchain,
//     and update rewrites those that do not.
//
// Update rewrites go.work (comments kept) and the go.mod toolchain lines.
// It also repairs a go.work whose use directive names a directory that is
// gone, which stops every go command, `go tool mage` included: run it as
// `GOWORK=off go tool mage update:workspace`.
var Workspace = &build.Step{
	Name:   "workspace",
	Doc:    "go.work uses exactly the repository's modules, with consistent go and toolchain lines",
	Inputs: build.Inputs{Files: goModFiles, Tools: []build.Tool{build.GoCommand}},
	Writes: []string{"go.work", "go.mod", "go.work.sum"},
	Run:    runWorkspace,
}

// checkWorkSum proposes go.work.sum as the go command would write it,
// from go mod download on a copy of go.work and go.work.sum outside the
// tree. A repository that keeps no go.work.sum, or lets git ignore it, is
// not asked to keep one.
func checkWorkSum(pass *build.Pass) error {
	ws := pass.Workspace
	files, err := ws.AllFiles(pass.Context())
	if err != nil || ws.WorkData == nil || !slices.Contains(files, "go.work.sum") {
		return err
	}
	tmp, err := os.MkdirTemp(pass.Env.TempDir(), "worksum-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	work, err := workspace.WorkCopy(ws.Root, ws.WorkData, tmp)
	if err != nil {
		return err
	}
	pass.Logf("$ GOWORK=%s go mod download", work)
	cmd := pass.Env.With("GOWORK="+work).Command(pass.Context(), ws.Root, "go", "mod", "download")
	if _, err := pass.Output(cmd); err != nil {
		// Errors name the private copy of go.work: they are go.work's.
		err = errors.New(strings.ReplaceAll(err.Error(), work, "go.work"))
		return reportGoError(pass, "go mod download (so go.work.sum cannot be checked)", "", err, build.Position{File: "go.work.sum", Line: 1})
	}
	sum, err := os.ReadFile(filepath.Join(tmp, "go.work.sum"))
	if err != nil {
		return err
	}
	return pass.Propose("go.work.sum", sum, "go.work.sum lacks checksums that go mod download adds")
}

func runWorkspace(pass *build.Pass) error {
	ws := pass.Workspace
	if ws.Synthetic {
		pass.Notef("no go.work: the workspace is hackless's own view of %d modules, so there is no go.work to check", len(ws.Modules))
		return nil
	}
	dirs, err := ws.ModuleDirs(pass.Context())
	if err != nil {
		return err
	}
	excluded := workspace.ExcludeComments(ws.WorkData)
	// Reparse: the loaded files are shared with other steps and must not change.
	wf, err := modfile.ParseWork("go.work", ws.WorkData, nil)
	if err != nil {
		return err
	}
	changed := false
	want := make(map[string]bool)
	for _, d := range dirs {
		if !excluded[d] && d != config.HacklessModule {
			want[d] = true
		}
	}
	have := make(map[string]bool)
	// DropUse drops every use of a path and zeroes each: take what is
	// needed first.
	type use struct {
		Path, ModulePath string
		line             int
	}
	var uses []use
	for _, u := range wf.Use {
		uses = append(uses, use{u.Path, u.ModulePath, u.Syntax.Start.Line})
	}
	for _, u := range uses {
		d := path.Clean(u.Path)
		pos := build.Position{File: "go.work", Line: u.line}
		switch {
		case slices.Contains(ws.MissingUses, u.Path):
			pass.ReportFixable(build.Finding{Pos: pos, Message: fmt.Sprintf("uses %s, which has no go.mod (every go command fails until it is removed)", u.Path)})
		case excluded[d]:
			pass.ReportFixable(build.Finding{Pos: pos, Message: fmt.Sprintf("uses %s, which a hackless:exclude comment keeps out of the workspace", u.Path)})
		case d == config.HacklessModule:
			pass.ReportFixable(build.Finding{Pos: pos, Message: fmt.Sprintf("uses %s, hackless's own module, whose requirements must never join the product's build list", u.Path)})
		case !want[d]:
			pass.ReportFixable(build.Finding{Pos: pos, Message: fmt.Sprintf("uses %s, which is not a module of this repository", u.Path)})
		case have[d]:
			pass.ReportFixable(build.Finding{Pos: pos, Message: fmt.Sprintf("uses %s twice", u.Path)})
		default:
			have[d] = true
			continue
		}
		wf.DropUse(u.Path)
		changed = true
		if have[d] {
			// Used twice: DropUse dropped the first too; keep one.
			if err := wf.AddUse(u.Path, u.ModulePath); err != nil {
				return err
			}
		}
	}
	var added bool
	for _, d := range dirs {
		if want[d] && !have[d] {
			pass.ReportFixable(build.Finding{Pos: build.Position{File: "go.work"}, Message: fmt.Sprintf("does not use the module in %s; add it, or keep it out with a line `// hackless:exclude ./%s`", d, d)})
			m, err := workspace.LoadModule(ws.Root, d)
			if err != nil {
				return err
			}
			if err := wf.AddUse(useDir(d), m.Path); err != nil {
				return err
			}
			changed, added = true, true
		}
	}
	if added {
		wf.SortBlocks()
	}

	// The go line: at least every module's.
	maxGo := ""
	for _, m := range ws.Modules {
		if m.File.Go != nil && (maxGo == "" || version.Compare("go"+m.File.Go.Version, "go"+maxGo) > 0) {
			maxGo = m.File.Go.Version
		}
	}
	switch {
	case wf.Go == nil && maxGo != "":
		pass.ReportFixable(build.Finding{Pos: build.Position{File: "go.work", Line: 1}, Message: "has no go line; the policy wants the highest go line of its modules, " + maxGo})
		changed = true
		if err := wf.AddGoStmt(maxGo); err != nil {
			return err
		}
	case wf.Go != nil && maxGo != "" && version.Compare("go"+wf.Go.Version, "go"+maxGo) < 0:
		pass.ReportFixable(build.Finding{Pos: build.Position{File: "go.work", Line: wf.Go.Syntax.Start.Line}, Message: fmt.Sprintf("go %s is older than a module's go %s; the go command refuses such a workspace", wf.Go.Version, maxGo)})
		changed = true
		if err := wf.AddGoStmt(maxGo); err != nil {
			return err
		}
	}

	// The toolchain: go.work's, else the highest of the modules'.
	toolchain := ""
	if wf.Toolchain != nil {
		toolchain = wf.Toolchain.Name
	}
	if toolchain == "" {
		for _, m := range ws.Modules {
			if m.File.Toolchain != nil && (toolchain == "" || version.Compare(m.File.Toolchain.Name, toolchain) > 0) {
				toolchain = m.File.Toolchain.Name
			}
		}
		if toolchain != "" {
			pass.ReportFixable(build.Finding{Pos: build.Position{File: "go.work", Line: 1}, Message: "has no toolchain line but modules name one; the policy wants go.work to name " + toolchain})
			if err := wf.AddToolchainStmt(toolchain); err != nil {
				return err
			}
			changed = true
		}
	}
	if changed {
		wf.Cleanup()
		if err := pass.Propose("go.work", modfile.Format(wf.Syntax), "go.work is out of date"); err != nil {
			return err
		}
	} else if err := checkWorkSum(pass); err != nil {
		return err
	}
	for _, m := range ws.Modules {
		if m.File.Toolchain == nil || m.File.Toolchain.Name == toolchain {
			continue
		}
		pass.ReportFixable(build.Finding{
			Pos:     build.Position{File: m.GoModRel(), Line: m.File.Toolchain.Syntax.Start.Line},
			Message: fmt.Sprintf("toolchain %s differs from the workspace toolchain %s", m.File.Toolchain.Name, toolchain),
		})
		f, err := modfile.Parse(m.GoModRel(), m.Data, nil)
		if err != nil {
			return err
		}
		if err := f.AddToolchainStmt(toolchain); err != nil {
			return err
		}
		f.Cleanup()
		out, err := f.Format()
		if err != nil {
			return err
		}
		if err := pass.Propose(m.GoModRel(), out, "toolchain line differs from go.work's"); err != nil {
			return err
		}
	}
	return nil
}

// useDir spells a root-relative directory as go work use does.
func useDir(d string) string {
	if d == "." || strings.HasPrefix(d, "../") {
		return d
	}
	return "./" + d
}
