// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"fmt"
	"go/parser"
	"go/token"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/importrules"
)

// Imports checks import restrictions in import-boss's .import-restrictions
// format (YAML or JSON). For each package of the workspace, the files in
// its directory and each parent up to its module root apply, nearest
// first. rules restrict what the package imports (directly, or with
// transitive: true also indirectly); inverseRules restrict which workspace
// packages may import it. Within a rule, forbidden prefixes are checked
// before allowed ones; prefixes match whole path segments and "" matches
// everything; the first rule to decide wins, and a selector that matched
// without a decision is an error. Test imports count. Each violation names
// the importing package, the import, the rule file and the rule. There is
// no update form: a person decides how to fix an import.
var Imports = &build.Step{
	Name:   "imports",
	Doc:    "imports follow the .import-restrictions rules",
	Inputs: build.Inputs{Files: []string{"**/" + importrules.FileName}, Headers: []string{"**/*.go"}, Tools: []build.Tool{build.GoCommand}, Go: true},
	Run:    runImports,
}

// listedPackage is one package of `go list -deps -test`.
type listedPackage struct {
	ImportPath, Dir                    string
	Imports                            []string
	GoFiles, TestGoFiles, XTestGoFiles []string
	Standard                           bool
	Module                             *struct {
		Path, Dir string
		Main      bool
	}
}

// stripVariant turns "p [q.test]" into "p".
func stripVariant(p string) string {
	if i := strings.Index(p, " ["); i >= 0 {
		return p[:i]
	}
	return p
}

func runImports(pass *build.Pass) error {
	ws := pass.Workspace
	files, err := ws.Files(pass.Context())
	if err != nil {
		return err
	}
	rules := make(map[string]*importrules.File) // root-relative directory -> file
	malformed := false
	for _, f := range files {
		if path.Base(f) != importrules.FileName {
			continue
		}
		data, err := pass.ReadFile(f)
		if err != nil {
			return err
		}
		parsed, err := importrules.Parse(f, data)
		if err != nil {
			reportConfigError(pass, f, err)
			malformed = true
			continue
		}
		rules[path.Dir(f)] = parsed
	}
	if len(rules) == 0 {
		if !malformed {
			pass.Notef("no %s files: nothing to check", importrules.FileName)
		}
		return nil
	}
	// The packages the rules cover, with everything they import (for
	// forward rules); and only when a file has inverse rules, the
	// workspace's own packages, without their dependencies, to find who
	// imports a covered package. The cost follows what the rules cover.
	owners, err := ws.Owners(pass.Context())
	if err != nil {
		return err
	}
	inWorkspace := make(map[string]bool)
	for _, m := range ws.Modules {
		inWorkspace[m.Rel] = true
	}
	var patterns []string
	inverse := false
	for _, dir := range slices.Sorted(maps.Keys(rules)) {
		if inWorkspace[owners.Of(path.Join(dir, importrules.FileName))] {
			patterns = append(patterns, "./"+path.Join(dir, "..."))
		}
		inverse = inverse || len(rules[dir].InverseRules) > 0
	}
	const fields = "-json=ImportPath,Dir,Imports,GoFiles,TestGoFiles,XTestGoFiles,Standard,Module"
	listings := [][]string{append([]string{"list", "-e", "-deps", "-test", fields}, patterns...)}
	if inverse {
		listings = append(listings, []string{"list", "-e", "-test", fields, "work"})
	}
	plain := make(map[string]listedPackage)
	direct := make(map[string][]string) // workspace package -> its imports, tests included
	var workspacePkgs []string
	for _, args := range listings {
		if len(patterns) == 0 {
			break // every rule file is outside the workspace's modules
		}
		out, err := pass.Output(pass.Command(".", "go", args...))
		if err != nil {
			return err
		}
		if err := decodeListing(out, plain, direct, &workspacePkgs); err != nil {
			return err
		}
	}
	slices.Sort(workspacePkgs)
	workspacePkgs = slices.Compact(workspacePkgs)

	// Importers among workspace packages, for inverse rules.
	importers := make(map[string][]string)
	for _, p := range workspacePkgs {
		for _, imp := range direct[p] {
			importers[imp] = append(importers[imp], p)
		}
	}
	checked := 0
	for _, p := range workspacePkgs {
		pkg := plain[p]
		chain := rulesChain(pass, rules, pkg)
		if len(chain) == 0 {
			continue
		}
		checked++
		// Forward rules, over direct and indirect imports.
		isDirect := make(map[string]bool)
		for _, imp := range direct[p] {
			isDirect[imp] = true
		}
		for _, imp := range closure(direct[p], func(q string) []string { return plain[q].Imports }) {
			d := importrules.Decide(chain, imp, isDirect[imp], false)
			arrow := "-->"
			if isDirect[imp] {
				arrow = "->"
			}
			reportDecision(pass, d, pkg, imp, isDirect[imp], fmt.Sprintf("%q %s %q", p, arrow, imp))
		}
		// Inverse rules, over the workspace packages that import it.
		if !slices.ContainsFunc(chain, func(f *importrules.File) bool { return len(f.InverseRules) > 0 }) {
			continue
		}
		directImporter := make(map[string]bool)
		for _, i := range importers[p] {
			directImporter[i] = true
		}
		for _, imp := range closure(importers[p], func(q string) []string { return importers[q] }) {
			if imp == p {
				continue
			}
			d := importrules.Decide(chain, imp, directImporter[imp], true)
			arrow := "<--"
			if directImporter[imp] {
				arrow = "<-"
			}
			reportDecision(pass, d, plain[imp], p, directImporter[imp], fmt.Sprintf("%q %s %q", p, arrow, imp))
		}
	}
	pass.Notef("%d packages under %d %s files", checked, len(rules), importrules.FileName)
	return nil
}

// decodeListing adds what one `go list -json` listing says to the maps:
// each plain package, the imports of each workspace package (tests
// included, test variants folded into their package), and the workspace
// packages; a package listed twice is counted once.
func decodeListing(out []byte, plain map[string]listedPackage, direct map[string][]string, workspacePkgs *[]string) error {
	return decodeAll(out, func(p listedPackage) {
		if strings.HasSuffix(p.ImportPath, ".test") {
			return
		}
		base := stripVariant(p.ImportPath)
		var imports []string
		for _, imp := range p.Imports {
			imports = append(imports, stripVariant(imp))
		}
		if base == p.ImportPath {
			p.Imports = imports
			plain[base] = p
			if p.Module != nil && p.Module.Main {
				*workspacePkgs = append(*workspacePkgs, base)
			}
		}
		owner := strings.TrimSuffix(base, "_test")
		if p.Module != nil && p.Module.Main {
			for _, imp := range imports {
				if imp != owner && !slices.Contains(direct[owner], imp) {
					direct[owner] = append(direct[owner], imp)
				}
			}
		}
	})
}

// rulesChain returns the restriction files that apply to a package: its
// directory's and each parent's up to its module root, nearest first.
func rulesChain(pass *build.Pass, rules map[string]*importrules.File, pkg listedPackage) []*importrules.File {
	if pkg.Dir == "" || pkg.Module == nil {
		return nil
	}
	dir := pass.Workspace.Rel(pkg.Dir)
	root := pass.Workspace.Rel(pkg.Module.Dir)
	var chain []*importrules.File
	for {
		if f := rules[dir]; f != nil {
			chain = append(chain, f)
		}
		if dir == root || dir == "." || dir == "/" {
			return chain
		}
		dir = path.Dir(dir)
	}
}

// closure returns start and everything reachable from it, sorted.
func closure(start []string, next func(string) []string) []string {
	seen := make(map[string]bool)
	queue := slices.Clone(start)
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		if seen[q] {
			continue
		}
		seen[q] = true
		queue = append(queue, next(q)...)
	}
	out := make([]string, 0, len(seen))
	for q := range seen {
		out = append(out, q)
	}
	slices.Sort(out)
	return out
}

// reportDecision reports a forbidden or undecided import. The finding
// points at the import in the importing package when it is direct, else
// at the rule.
func reportDecision(pass *build.Pass, d importrules.Decision, importer listedPackage, imported string, isDirect bool, what string) {
	var msg string
	var rulePos build.Position
	switch {
	case d.Disposition == importrules.Forbidden:
		msg = fmt.Sprintf("%s is forbidden by %s:%d (%s)", what, d.File.Path, d.Rule.Line, d.Rule)
		rulePos = build.Position{File: d.File.Path, Line: d.Rule.Line}
	case d.Matched && d.Disposition == importrules.Unknown:
		msg = fmt.Sprintf("%s did not match any rule: a selector matched but no allowed or forbidden prefix decided", what)
	default:
		return
	}
	pos := rulePos
	if isDirect {
		if p, ok := importPosition(pass, importer.Dir, slices.Concat(importer.GoFiles, importer.TestGoFiles, importer.XTestGoFiles), imported); ok {
			pos = p
		}
	}
	pass.Report(build.Finding{Pos: pos, Message: msg})
}

// importPosition finds the line where one of the files of a package (in
// dir) imports another package.
func importPosition(pass *build.Pass, dir string, files []string, imported string) (build.Position, bool) {
	fset := token.NewFileSet()
	for _, name := range files {
		full := filepath.Join(dir, name)
		f, err := parser.ParseFile(fset, full, nil, parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, spec := range f.Imports {
			if p, err := strconv.Unquote(spec.Path.Value); err == nil && p == imported {
				pos := fset.Position(spec.Path.Pos())
				return build.Position{File: pass.Workspace.Rel(full), Line: pos.Line, Col: pos.Column}, true
			}
		}
	}
	return build.Position{}, false
}
