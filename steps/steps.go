// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package steps defines hackless's verify and update steps as build.Step
// values. Each step is written once: its Run reports problems and proposes
// file contents, and the engine decides whether a run only reports them
// (verify) or writes them (update). The Mage targets in the verify and
// update packages run these steps.
package steps

import (
	"errors"
	"path"
	"regexp"
	"slices"
	"strconv"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/jsonfile"
)

// All returns every built-in step, in the order the summary lists them.
// It is the one registry: the verify:X and update:X targets and the
// README's step table are generated from it (go generate ./verify).
func All() []*build.Step {
	return []*build.Step{Workspace, Deps, Gofmt, Vet, Typecheck, Tidy, Vendor, Licenses, Boilerplate, Imports, Codegen, Spelling, Lint, FileSizes, GoVersions, Aliases, Shell, YAML, Vulnerabilities, BOM}
}

// UpdateOrder names the steps in the order an update applies their writes
// (build.Options.Order): the Go release of .go-version, the workspace and
// the module graph first, then generated code and import aliases; code
// then gets its header, its spelling and lint fixes and then its
// formatting, before vendor/ and LICENSES/ are rebuilt from the result.
func UpdateOrder() []string {
	return []string{"goversions", "workspace", "deps", "pin", "tidy", "codegen", "aliases", "boilerplate", "spelling", "lint", "gofmt", "shell", "yaml", "vendor", "licenses", "bom", "vulnerabilities"}
}

// moduleFiles returns the Go files of the modules the pass checks.
func moduleFiles(pass *build.Pass) ([]string, error) {
	files, err := pass.Workspace.GoFiles(pass.Context())
	if err != nil || len(pass.Modules()) == len(pass.Workspace.Modules) {
		return files, err
	}
	owners, err := pass.Workspace.Owners(pass.Context())
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool)
	for _, m := range pass.Modules() {
		want[m.Rel] = true
	}
	return slices.DeleteFunc(slices.Clone(files), func(f string) bool { return !want[owners.Of(f)] }), nil
}

// ownedByPassModules reports whether a file belongs to the modules the
// pass checks; a file outside every module belongs to all of them.
func ownedByPassModules(pass *build.Pass) (func(string) bool, error) {
	owners, err := pass.Workspace.Owners(pass.Context())
	if err != nil {
		return nil, err
	}
	want := map[string]bool{"": true}
	for _, m := range pass.Modules() {
		want[m.Rel] = true
	}
	return func(f string) bool { return want[owners.Of(f)] }, nil
}

// modulePatterns returns the package patterns of the modules the pass
// checks, one ./dir/... per module for one invocation. Unlike "work", such
// patterns never match vendored packages, so the verdict is about the
// workspace's own code whether or not vendor/ exists.
func modulePatterns(pass *build.Pass) []string {
	var out []string
	for _, m := range pass.Modules() {
		out = append(out, "./"+path.Join(m.Rel, "..."))
	}
	return out
}

// reportConfigError reports a malformed configuration file at the line
// the error names, when it names one; the run exits 2.
func reportConfigError(pass *build.Pass, file string, err error) {
	var je *jsonfile.Error
	if errors.As(err, &je) {
		pass.ReportConfig(build.Finding{Pos: build.Position{File: je.File, Line: je.Line}, Message: je.Msg})
		return
	}
	pass.ReportConfig(build.Finding{Pos: build.Position{File: file}, Message: err.Error()})
}

// goModFiles are the inputs of every step that depends on the module graph.
var goModFiles = []string{"go.work", "go.work.sum", "**/go.mod", "**/go.sum"}

// posRE matches "file:line:col: message", as Go tools print diagnostics,
// with an optional "vet: " in front.
var posRE = regexp.MustCompile(`^(?:vet: )?(\S+?\.go):(\d+):(?:(\d+):)? (.*)$`)

// parsePos parses a tool's diagnostic line into a finding; file names are
// made root-relative with rel.
func parsePos(line string, rel func(string) string) (build.Finding, bool) {
	m := posRE.FindStringSubmatch(line)
	if m == nil {
		return build.Finding{}, false
	}
	ln, _ := strconv.Atoi(m[2])
	col, _ := strconv.Atoi(m[3])
	return build.Finding{Pos: build.Position{File: rel(m[1]), Line: ln, Col: col}, Message: m[4]}, true
}
