// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/jsonfile"
)

// ImportAliasesFile is Kubernetes's list of preferred import aliases: a
// JSON object from import path to alias.
const ImportAliasesFile = "hack/.import-aliases"

// Aliases checks that every Go file imports the packages listed in
// hack/.import-aliases (Kubernetes's format: a JSON object from import
// path to alias, read by its cmd/preferredimports) under their alias:
// `import corev1 "k8s.io/api/core/v1"`, not `v1` or `core`. Update
// renames the import and every reference to it in the file; where the
// alias is already a name in the file, or the package's own name cannot
// be told from its path, the finding says so and a person renames it.
// Generated files are left out: the fix belongs in the generator. Without
// the file there is nothing to check.
var Aliases = &build.Step{
	Name:   "aliases",
	Doc:    "packages are imported under the aliases of hack/.import-aliases",
	Inputs: build.Inputs{Files: []string{ImportAliasesFile, "**/*.go"}},
	Writes: []string{"*.go"},
	Scope:  build.ScopeModule,
	Run:    runAliases,
}

func runAliases(pass *build.Pass) error {
	data, err := pass.ReadFile(ImportAliasesFile)
	if errors.Is(err, fs.ErrNotExist) {
		pass.Notef("no %s: nothing to check", ImportAliasesFile)
		return nil
	}
	if err != nil {
		return err
	}
	var aliases map[string]string
	if err := jsonfile.Decode(ImportAliasesFile, data, &aliases); err != nil {
		var jerr *jsonfile.Error
		errors.As(err, &jerr)
		pass.ReportConfig(build.Finding{Pos: build.Position{File: ImportAliasesFile, Line: jerr.Line}, Message: "want a JSON object from import path to alias: " + jerr.Msg})
		return nil
	}
	for _, p := range slices.Sorted(maps.Keys(aliases)) {
		if a := aliases[p]; !token.IsIdentifier(a) {
			line := jsonfile.Line(data, int64(bytes.Index(data, []byte(strconv.Quote(p)))))
			pass.ReportConfig(build.Finding{Pos: build.Position{File: ImportAliasesFile, Line: line}, Message: fmt.Sprintf("the alias of %s, %q, is not a Go identifier", p, a)})
			return nil
		}
	}
	files, err := moduleFiles(pass)
	if err != nil {
		return err
	}
	generated := 0
	for _, rel := range files {
		src, err := pass.ReadFile(rel)
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, rel, src, parser.ImportsOnly|parser.ParseComments)
		if err != nil || !slices.ContainsFunc(f.Imports, func(imp *ast.ImportSpec) bool { return wrongAlias(imp, aliases) }) {
			continue // a file that does not parse is gofmt's finding
		}
		if isGenerated(src) {
			generated++
			continue
		}
		if err := fixAliases(pass, rel, src, aliases); err != nil {
			return err
		}
	}
	pass.Notef("%d files checked against %d aliases", len(files), len(aliases))
	if generated > 0 {
		pass.Notef("%d generated files import without the alias; their generators would have to change", generated)
	}
	return nil
}

// wrongAlias reports whether imp imports a listed package under another
// name than its alias.
func wrongAlias(imp *ast.ImportSpec, aliases map[string]string) bool {
	p, _ := strconv.Unquote(imp.Path.Value)
	alias, ok := aliases[p]
	if !ok {
		return false
	}
	if imp.Name == nil {
		return !slices.Contains(packageNames(p), alias)
	}
	return imp.Name.Name != alias && imp.Name.Name != "_" && imp.Name.Name != "."
}

// fixAliases reports each import of rel under the wrong name and, where it
// can, proposes the file with the import and its references renamed.
func fixAliases(pass *build.Pass, rel string, src []byte, aliases map[string]string) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.ParseComments)
	if err != nil {
		return nil
	}
	// Names the file declares or uses: an alias among them cannot be
	// given to an import without changing what the file means.
	names := make(map[string]bool)
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			names[id.Name] = true
		}
		return true
	})
	// Package references are the identifiers the parser left unresolved
	// that qualify a selector.
	qualifiers := make(map[*ast.Ident]bool)
	unresolved := make(map[*ast.Ident]bool)
	for _, id := range f.Unresolved {
		unresolved[id] = true
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && unresolved[id] {
				qualifiers[id] = true
			}
		}
		return true
	})
	changed := false
	for _, imp := range f.Imports {
		if !wrongAlias(imp, aliases) {
			continue
		}
		p, _ := strconv.Unquote(imp.Path.Value)
		alias := aliases[p]
		pos := build.Position{File: rel, Line: fset.Position(imp.Pos()).Line}
		var old string
		used := false
		if imp.Name != nil {
			old, used = imp.Name.Name, true
		} else {
			// The package's own name: the candidate the file qualifies
			// names with.
			for _, c := range packageNames(p) {
				for id := range qualifiers {
					if id.Name == c {
						old, used = c, true
					}
				}
				if used {
					break
				}
			}
		}
		as := "its package name"
		if imp.Name != nil {
			as = old
		}
		msg := fmt.Sprintf("%s is imported as %s; %s says %s", p, as, ImportAliasesFile, alias)
		switch {
		case names[alias]:
			pass.Report(build.Finding{Pos: pos, Message: msg, Detail: "hint: " + alias + " is already a name in this file: rename by hand"})
			continue
		case imp.Name == nil && !used:
			pass.Report(build.Finding{Pos: pos, Message: msg, Detail: "hint: the package's name cannot be told from its path: rename by hand"})
			continue
		}
		pass.ReportFixable(build.Finding{Pos: pos, Message: msg})
		for id := range qualifiers {
			if id.Name == old {
				id.Name = alias
			}
		}
		// At the path's position, so that the import keeps its line and
		// group when the printer sorts imports.
		imp.Name = &ast.Ident{NamePos: imp.Path.Pos(), Name: alias}
		names[alias] = true
		changed = true
	}
	if !changed {
		return nil
	}
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return fmt.Errorf("format %s: %w", rel, err)
	}
	return pass.Propose(rel, buf.Bytes(), "import aliases")
}

// packageNames returns the names a package at import path p may have:
// its last element, or the one before a major-version element (v2), each
// without a go- prefix or -go suffix and up to the first dot or dash.
func packageNames(p string) []string {
	elems := strings.Split(p, "/")
	var out []string
	for i := len(elems) - 1; i >= 0 && i >= len(elems)-2; i-- {
		name := strings.TrimSuffix(strings.TrimPrefix(elems[i], "go-"), "-go")
		if j := strings.IndexAny(name, ".-"); j > 0 {
			name = name[:j]
		}
		out = append(out, name)
		if len(name) < 2 || name[0] != 'v' || strings.Trim(name[1:], "0123456789") != "" {
			break // not a major-version element
		}
	}
	return out
}
