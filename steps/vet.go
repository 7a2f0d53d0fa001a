// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/build/workspace"
)

// Vet runs `go vet` over every module of the workspace in one invocation,
// one `./dir/...` pattern per module (`./...` at the root reaches only the
// root module, and the `work` pattern also reaches vendored packages).
// Its JSON output is parsed into findings, because `go vet -json` exits 0
// when it finds problems; type errors, which it prints as text, are findings
// too. There is no update form: vet's findings need a person.
//
// Its result is cached package by package: an edit re-runs vet for the
// edited package and the workspace packages that import it, directly or
// not, which it names to go vet (a module whose packages all changed by
// its ./... pattern); a go.work, go.mod or go.sum edit re-runs them all.
//
// When part of the workspace cannot be loaded (an ambiguous import, a
// missing checksum), go vet analyses nothing at all; vet then analyses,
// in one more run, every package that loads (go list -e names them), or,
// when the module graph itself is at fault, goes module by module. A module
// that does not load or type-check in the workspace is also tried with its
// own build list (GOWORK=off). Each load error is a finding at the file
// and line the go command names, with a hint of the fix; a failure only
// the workspace has says so. In a repository without go.work, where the
// workspace is hackless's own view and never built as one, such a failure
// is a note instead.
//
// Findings are suppressed as golangci-lint suppresses them: a //nolint,
// //nolint:govet or //nolint:all comment on the line, on the line before a
// declaration or statement (for all of it), or before the package clause
// (for the whole file); and by vet.exclude in hackless.yaml (path glob,
// analyzer, text). vet.analyzers turns analyzers on or off
// ({copylocks: false}). The step says how many findings it suppressed.
var Vet = &build.Step{
	Name:   "vet",
	Doc:    "go vet finds no problems in any workspace module",
	Inputs: build.Inputs{Tools: []build.Tool{build.GoCommand}, Go: true},
	Scope:  build.ScopePackage,
	Run:    runVet,
}

// vetDiagnostic is one diagnostic of `go vet -json`.
type vetDiagnostic struct {
	Posn    string `json:"posn"`
	Message string `json:"message"`
}

// vetOutcome is what one go vet invocation reported.
type vetOutcome struct {
	findings []vetFinding
	failures []build.Finding // load and type errors
	unplaced []string
	err      error
	vetted   bool // a tool ran: go vet got past loading every package
}

type vetFinding struct {
	build.Finding
	analyzer string
}

func runVet(pass *build.Pass) error {
	mods := pass.Modules()
	if len(mods) == 0 {
		pass.Logf("no modules")
		return nil
	}
	cfg := pass.Config().Vet
	var flags []string
	for _, name := range slices.Sorted(maps.Keys(cfg.Analyzers)) {
		flags = append(flags, fmt.Sprintf("-%s=%t", name, cfg.Analyzers[name]))
	}
	out, notes, err := vetModules(pass, nil, flags, "vetted", nil)
	if err != nil {
		return err
	}
	for _, n := range notes {
		pass.Notef("%s", n)
	}
	for _, f := range dedupe(out.failures) {
		pass.Report(f)
	}
	suppressed := 0
	nolint := newNolintIndex(pass)
	for _, f := range out.findings {
		if vetExcluded(cfg.Exclude, f) || nolint.suppressed(f.Pos, "govet") {
			suppressed++
			continue
		}
		pass.Report(f.Finding)
	}
	if suppressed > 0 {
		pass.Notef("%d findings suppressed by //nolint comments or vet.exclude", suppressed)
	}
	if out.err != nil && len(out.failures) == 0 {
		// An analyzer go vet does not have is vet.analyzers' mistake.
		for _, l := range out.unplaced {
			if name, ok := strings.CutPrefix(strings.TrimSpace(l), "flag provided but not defined: -"); ok {
				if _, set := cfg.Analyzers[name]; set {
					pass.ReportConfig(build.Finding{Pos: build.Position{File: "hackless.yaml", Line: pass.Config().Line("vet", "analyzers", name)}, Message: fmt.Sprintf("vet.analyzers names %s, which is no analyzer of go vet (go tool vet help lists them)", name)})
					return nil
				}
			}
		}
		return fmt.Errorf("go vet: %w\n%s", out.err, strings.Join(out.unplaced, "\n"))
	}
	return nil
}

// vetModules runs go vet -json with flags (and env) over the pass's
// modules in one invocation. When a load error stops it before any
// analysis, it vets the packages that load (vetLoadable) or, failing
// that, goes module by module, so that the others are still analysed. A
// module that fails in the workspace (a load error, or a type
// error the vet tool reports) is tried with its own build list
// (GOWORK=off): the workspace's build list may be what is incoherent. A
// failure that only the workspace has is a failure "in the workspace",
// or, where the workspace is hackless's own view (no go.work), which the
// repository never builds, a note: done says what happened to the module
// instead ("vetted"). When the vet tool ran (go vet got past loading,
// so every package was analysed), only the modules with failures run
// again.
//
// graph, when several platforms are checked, lets one of them alone go
// module by module: the module graph is the same for every platform, so
// the others report the error that stopped them and go no further.
func vetModules(pass *build.Pass, env, flags []string, done string, graph *graphClaim) (out vetOutcome, notes []string, err error) {
	mods := pass.Modules()
	patterns := packagePatterns(pass, env)
	if len(patterns) == 0 {
		return out, nil, nil // no package is built for this platform
	}
	out = runVetOnce(pass, env, flags, patterns)
	if err := pass.Context().Err(); err != nil {
		return out, nil, err
	}
	// The build list is the workspace's whenever it has several modules,
	// however many this pass vets (one, in a run limited to what
	// changed): a failure that only that joint build list has is decided
	// the same way whatever the pass holds, so the verdict never depends
	// on what the cache held.
	joint := len(pass.Workspace.Modules) >= 2
	switch {
	case out.err == nil:
		return out, nil, nil
	case !out.vetted && len(out.findings) == 0: // stopped at loading
		rest, ok := vetLoadable(pass, env, flags, patterns, out)
		switch {
		case ok && !joint:
			return rest, nil, nil // one module: nothing to try on its own
		case ok:
			return alone(pass, env, flags, done, mods, rest)
		case len(mods) >= 2 && !graph.claim():
			return out, nil, nil // another platform goes module by module
		case len(mods) >= 2:
			return moduleByModule(pass, env, flags, done, mods)
		}
	case out.vetted && joint && len(out.unplaced) == 0:
		return alone(pass, env, flags, done, mods, out)
	}
	return out, nil, nil
}

// graphClaim lets the first of several platforms whose workspace run
// stopped at the module graph go module by module.
type graphClaim struct {
	mu      sync.Mutex
	claimed bool
}

// claim reports whether the caller may go module by module: always
// without a graphClaim, once with one.
func (g *graphClaim) claim() bool {
	if g == nil {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	first := !g.claimed
	g.claimed = true
	return first
}

// moduleByModule runs go vet on each module in the workspace, trying a
// module that fails to load with its own build list (tryAlone): what
// vetModules does when even the packages that load cannot be told apart.
func moduleByModule(pass *build.Pass, env, flags []string, done string, mods []*workspace.Module) (out vetOutcome, notes []string, err error) {
	pass.Logf("go vet stopped at a load error; running it module by module")
	for _, m := range mods {
		one := runVetOnce(pass, env, flags, []string{"./" + path.Join(m.Rel, "...")})
		if one.err != nil && len(one.findings) == 0 && len(one.failures) > 0 {
			notes = append(notes, tryAlone(pass, env, flags, done, m, &one)...)
		}
		out.findings = append(out.findings, one.findings...)
		out.failures = append(out.failures, one.failures...)
		out.unplaced = append(out.unplaced, one.unplaced...)
		if one.err != nil && len(one.failures) == 0 {
			out.err = one.err
		}
		if err := pass.Context().Err(); err != nil {
			return out, nil, err
		}
	}
	return out, notes, nil
}

// packagePatterns returns the package patterns of what the pass checks
// (Pass.GoPatterns) for the platform of env, leaving out a directory
// named on its own whose files build constraints all exclude there (go
// list -find, which resolves no imports, tells): go vet fails on such a
// pattern, where ./... passes the directory over.
func packagePatterns(pass *build.Pass, env []string) []string {
	patterns := pass.GoPatterns()
	var named []string
	for _, p := range patterns {
		if !strings.HasSuffix(p, "/...") && !builtEverywhere(pass.Workspace.Abs(p)) {
			named = append(named, p)
		}
	}
	if len(named) == 0 {
		return patterns
	}
	cmd := pass.Command(".", "go", append([]string{"list", "-find", "-e", "-f", "{{.Dir}}\t{{with .Error}}{{.Err}}{{end}}"}, named...)...)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.Output()
	if err != nil {
		return patterns // go vet then says what is wrong
	}
	excluded := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		dir, msg, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		if strings.Contains(msg, "build constraints exclude all Go files") || strings.Contains(msg, "no Go files in") {
			excluded[pass.Workspace.Rel(dir)] = true
		}
	}
	return slices.DeleteFunc(patterns, func(p string) bool {
		return !strings.HasSuffix(p, "/...") && excluded[path.Clean(p)]
	})
}

// builtEverywhere reports whether the package directory holds a Go file
// that every platform builds: no build constraint, no _GOOS or _GOARCH
// in its name (it has no underscore at all), no import of "C". Then go
// vet accepts the directory named on any platform, and go list need not
// be asked. A wrong "no" costs that go list; the files are the package's,
// which its key holds.
func builtEverywhere(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".go") || strings.ContainsAny(name[:1], "._") || strings.Contains(name, "_") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			continue
		}
		constrained := slices.ContainsFunc(f.Comments, func(g *ast.CommentGroup) bool {
			return g.Pos() < f.Package && slices.ContainsFunc(g.List, func(c *ast.Comment) bool {
				return strings.HasPrefix(c.Text, "//go:build") || strings.HasPrefix(c.Text, "// +build")
			})
		})
		cgo := slices.ContainsFunc(f.Imports, func(i *ast.ImportSpec) bool { return i.Path.Value == `"C"` })
		if !constrained && !cgo {
			return true
		}
	}
	return false
}

// maxLoadable bounds the packages vetLoadable names on one command line.
const maxLoadable = 2000

// vetLoadable handles a workspace run that stopped at load errors of
// packages (each placed in a Go file): it lists the packages with
// `go list -e -test` and vets, in one more invocation, those that load,
// tests included. It returns the load errors with what that run found,
// and false when it cannot help (an error of the module graph, a list
// too long, a run that stops at loading again): the caller then goes
// module by module.
func vetLoadable(pass *build.Pass, env, flags, patterns []string, stopped vetOutcome) (vetOutcome, bool) {
	if len(stopped.failures) == 0 || len(stopped.unplaced) > 0 {
		return vetOutcome{}, false
	}
	for _, f := range stopped.failures {
		if !strings.HasSuffix(f.Pos.File, ".go") {
			return vetOutcome{}, false // go.work, a go.mod: the module graph
		}
	}
	cmd := pass.Command(".", "go", append([]string{"list", "-e", "-test", "-json=ImportPath,ForTest,Incomplete,Dir,GoFiles,Error,DepsErrors"}, patterns...)...)
	cmd.Env = append(cmd.Env, env...)
	data, err := cmd.Output()
	if err != nil {
		return vetOutcome{}, false
	}
	complete := map[string]bool{} // package -> it and its test variants load
	// go vet names the load error of one package only: every module with
	// a package that does not load gets a failure of its own, so that it
	// is tried on its own too (alone), not passed over.
	failed := map[string]bool{}
	owners := workspace.NewOwners(moduleRels(pass))
	for _, f := range stopped.failures {
		failed[owners.Of(f.Pos.File)] = true
	}
	var more []build.Finding
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var p struct {
			ImportPath, ForTest, Dir string
			Incomplete               bool
			GoFiles                  []string
			Error                    *struct{ Err string }
			DepsErrors               []struct{ Err string }
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return vetOutcome{}, false
		}
		name, _, _ := strings.Cut(p.ImportPath, " ")
		if p.ForTest != "" {
			name = p.ForTest
		} else if strings.HasSuffix(name, ".test") {
			continue // a test's main package: its variants say it
		}
		ok, seen := complete[name]
		complete[name] = (ok || !seen) && !p.Incomplete
		if !p.Incomplete || p.Dir == "" || len(p.GoFiles) == 0 {
			continue
		}
		file := pass.Workspace.Rel(filepath.Join(p.Dir, p.GoFiles[0]))
		if mod := owners.Of(file); !failed[mod] {
			failed[mod] = true
			msg := "does not load"
			if p.Error != nil {
				msg, _, _ = strings.Cut(p.Error.Err, "\n")
			} else if len(p.DepsErrors) > 0 {
				msg, _, _ = strings.Cut(p.DepsErrors[0].Err, "\n")
			}
			more = append(more, build.Finding{Pos: build.Position{File: file, Line: 1}, Message: "package " + name + " does not load: " + msg})
		}
	}
	var loadable []string
	for _, name := range slices.Sorted(maps.Keys(complete)) {
		if complete[name] {
			loadable = append(loadable, name)
		}
	}
	if len(loadable) > maxLoadable {
		return vetOutcome{}, false
	}
	out := vetOutcome{failures: append(slices.Clone(stopped.failures), more...), err: stopped.err, vetted: true}
	if len(loadable) > 0 {
		rest := runVetOnce(pass, env, flags, loadable)
		if rest.err != nil && !rest.vetted && len(rest.findings) == 0 {
			return vetOutcome{}, false // it stopped at loading again
		}
		out.findings, out.unplaced = rest.findings, rest.unplaced
		out.failures = append(out.failures, rest.failures...)
	}
	pass.Logf("go vet stopped at a load error; vetted the %d of %d packages that load", len(loadable), len(complete))
	return out, true
}

// alone splits the outcome of a workspace run that got past loading by
// module, and tries each module with failures on its own (tryAlone). What
// no module holds (a file outside every module) stays as it was.
func alone(pass *build.Pass, env, flags []string, done string, mods []*workspace.Module, all vetOutcome) (out vetOutcome, notes []string, err error) {
	rels := make([]string, len(mods))
	byRel := make(map[string]*vetOutcome, len(mods))
	for i, m := range mods {
		rels[i] = m.Rel
		byRel[m.Rel] = &vetOutcome{err: all.err}
	}
	owners := workspace.NewOwners(rels)
	out.err, out.unplaced, out.vetted = all.err, all.unplaced, true
	var outside vetOutcome
	for _, f := range all.findings {
		if one := byRel[owners.Of(f.Pos.File)]; one != nil {
			one.findings = append(one.findings, f)
		} else {
			outside.findings = append(outside.findings, f)
		}
	}
	for _, f := range all.failures {
		if one := byRel[owners.Of(f.Pos.File)]; one != nil {
			one.failures = append(one.failures, f)
		} else {
			outside.failures = append(outside.failures, f)
		}
	}
	for _, m := range mods {
		one := byRel[m.Rel]
		if len(one.failures) > 0 {
			notes = append(notes, tryAlone(pass, env, flags, done, m, one)...)
		}
		out.findings = append(out.findings, one.findings...)
		out.failures = append(out.failures, one.failures...)
		if err := pass.Context().Err(); err != nil {
			return out, nil, err
		}
	}
	out.findings = append(out.findings, outside.findings...)
	out.failures = append(out.failures, outside.failures...)
	if len(out.failures) == 0 && len(out.unplaced) == 0 {
		out.err = nil
	}
	return out, notes, nil
}

// tryAlone runs go vet on module m with its own build list (GOWORK=off);
// when the module passes or only has findings there, one's failures are
// the workspace's alone: they are marked so (or, in hackless's own view
// of a workspace without go.work, returned as notes), and one takes the
// module's own findings.
func tryAlone(pass *build.Pass, env, flags []string, done string, m *workspace.Module, one *vetOutcome) (notes []string) {
	alone := runVetOnce(pass, append(slices.Clone(env), "GOWORK=off"), flags, []string{"./..."}, m)
	if len(alone.failures) > 0 || len(alone.unplaced) > 0 || alone.err != nil && len(alone.findings) == 0 {
		return nil // it fails on its own too
	}
	for i := range one.failures {
		one.failures[i].Message = "in the workspace: " + one.failures[i].Message + fmt.Sprintf(" (the module %s loads on its own, with GOWORK=off, and was %s so)", m.Path, done)
	}
	if pass.Workspace.Synthetic {
		for _, f := range one.failures {
			notes = append(notes, fmt.Sprintf("%s: %s", f.Pos, f.Message))
		}
		one.failures = nil
	}
	one.findings, one.err, one.unplaced = alone.findings, nil, nil
	return notes
}

// runVetOnce runs go vet -json on patterns (in module m's directory when
// given, else the root) and parses what it printed on either stream: the
// JSON goes to stderr up to Go 1.25 and to stdout from Go 1.26.
func runVetOnce(pass *build.Pass, env, flags, patterns []string, m ...*workspace.Module) vetOutcome {
	dir := "."
	if len(m) > 0 {
		dir = m[0].Rel
	}
	args := append(append([]string{"vet", "-json"}, flags...), patterns...)
	cmd := pass.Command(dir, "go", args...)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	base := pass.Workspace.Abs(dir)
	rel := func(p string) string {
		if !strings.HasPrefix(p, "/") {
			p = path.Join(base, p)
		}
		return pass.Workspace.Rel(p)
	}
	var out vetOutcome
	var text strings.Builder
	for _, stream := range []*bytes.Buffer{&stdout, &stderr} {
		rest, err := vetJSON(stream.Bytes(), rel, &out)
		if err != nil {
			out.err = err
			return out
		}
		text.WriteString(rest)
	}
	out.failures, out.unplaced = goFailure(text.String(), rel, build.Position{File: "go.work", Line: 1})
	// What the vet tool prints (type errors) starts "vet: ", and what a
	// failed compile of a dependency prints follows a "# <package>"
	// header; the go command prints neither when loading fails, for then
	// it runs no tool at all.
	for line := range strings.Lines(text.String()) {
		if strings.HasPrefix(line, "vet: ") || strings.HasPrefix(line, "# ") {
			out.vetted = true
			break
		}
	}
	if runErr != nil {
		out.err = runErr
	}
	return out
}

// vetJSON takes the JSON objects go vet -json printed (each starts with a
// line "{" and ends with a line "}") out of data, adds their diagnostics
// to out, and returns the other lines.
func vetJSON(data []byte, rel func(string) string, out *vetOutcome) (string, error) {
	var text, obj strings.Builder
	depth := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case depth == 0 && line == "{":
			depth = 1
			obj.Reset()
			obj.WriteString(line + "\n")
			continue
		case depth == 0 && line == "{}":
			continue // a package without diagnostics
		case depth == 0:
			text.WriteString(line + "\n")
			continue
		}
		obj.WriteString(line + "\n")
		if line == "}" {
			depth = 0
			if err := addVetObject([]byte(obj.String()), rel, out); err != nil {
				return "", err
			}
		}
	}
	return text.String(), sc.Err()
}

func addVetObject(data []byte, rel func(string) string, out *vetOutcome) error {
	var obj map[string]map[string]json.RawMessage // package -> analyzer -> diagnostics
	if err := json.Unmarshal(data, &obj); err != nil {
		return fmt.Errorf("parse go vet -json output: %w", err)
	}
	for _, pkg := range slices.Sorted(maps.Keys(obj)) {
		analyzers := obj[pkg]
		for _, analyzer := range slices.Sorted(maps.Keys(analyzers)) {
			raw := analyzers[analyzer]
			var diags []vetDiagnostic
			if err := json.Unmarshal(raw, &diags); err != nil {
				var e struct{ Error string }
				if json.Unmarshal(raw, &e) == nil && e.Error != "" {
					out.failures = append(out.failures, build.Finding{Message: fmt.Sprintf("%s: %s: %s", pkg, analyzer, e.Error)})
					continue
				}
				return fmt.Errorf("parse go vet -json output for %s: %w", pkg, err)
			}
			for _, d := range diags {
				f, ok := parsePos(d.Posn+": "+d.Message, rel)
				if !ok {
					f = build.Finding{Message: d.Posn + ": " + d.Message}
				}
				f.Message = fmt.Sprintf("%s (%s)", f.Message, analyzer)
				out.findings = append(out.findings, vetFinding{Finding: f, analyzer: analyzer})
			}
		}
	}
	return nil
}

// vetExcluded reports whether an exclusion of hackless.yaml drops f.
func vetExcluded(rules []config.Exclusion, f vetFinding) bool {
	for _, r := range rules {
		if r.Path == "" && r.Analyzer == "" && r.Text == "" {
			continue
		}
		if (r.Path == "" || build.MatchGlob(r.Path, f.Pos.File)) &&
			(r.Analyzer == "" || r.Analyzer == f.analyzer) &&
			(r.Text == "" || strings.Contains(f.Message, r.Text)) {
			return true
		}
	}
	return false
}

// nolintIndex finds golangci-lint style //nolint comments, parsing each
// file once.
type nolintIndex struct {
	pass  *build.Pass
	files map[string][]nolintRange
}

// nolintRange is a span of lines a nolint comment covers, and for which
// linters (nil: all).
type nolintRange struct {
	from, to int
	linters  []string
}

func newNolintIndex(pass *build.Pass) *nolintIndex {
	return &nolintIndex{pass: pass, files: make(map[string][]nolintRange)}
}

func (x *nolintIndex) suppressed(pos build.Position, linter string) bool {
	if pos.File == "" || pos.Line == 0 {
		return false
	}
	ranges, ok := x.files[pos.File]
	if !ok {
		data, err := x.pass.ReadFile(pos.File)
		if err == nil {
			ranges = nolintRanges(data)
		}
		x.files[pos.File] = ranges
	}
	for _, r := range ranges {
		if pos.Line >= r.from && pos.Line <= r.to && (r.linters == nil || slices.Contains(r.linters, linter) || slices.Contains(r.linters, "all")) {
			return true
		}
	}
	return false
}

// nolintRanges finds the nolint comments of a Go file: one on a line with
// code covers that line; one alone on its line covers the declaration,
// statement or field that starts on the next line (or just the next
// line); one before the package clause covers the file.
func nolintRanges(src []byte) []nolintRange {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.ParseComments)
	if err != nil && f == nil {
		return nil
	}
	lines := bytes.Split(src, []byte("\n"))
	starts := map[int]int{} // line -> end line of the widest node starting there
	ast.Inspect(f, func(n ast.Node) bool {
		switch n.(type) {
		case ast.Decl, ast.Stmt, *ast.Field, *ast.ValueSpec, *ast.TypeSpec:
			from, to := fset.Position(n.Pos()).Line, fset.Position(n.End()).Line
			if to > starts[from] {
				starts[from] = to
			}
		}
		return true
	})
	pkgLine := fset.Position(f.Package).Line
	var out []nolintRange
	for _, g := range f.Comments {
		for _, c := range g.List {
			linters, ok := parseNolint(c.Text)
			if !ok {
				continue
			}
			line := fset.Position(c.Pos()).Line
			r := nolintRange{from: line, to: line, linters: linters}
			before := ""
			if line-1 < len(lines) {
				before = strings.TrimSpace(string(lines[line-1][:fset.Position(c.Pos()).Column-1]))
			}
			switch {
			case line < pkgLine:
				r.to = len(lines)
			case before == "":
				if end, ok := starts[line+1]; ok {
					r.to = end
				} else {
					r.to = line + 1
				}
			}
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].from < out[j].from })
	return out
}

// parseNolint reads "//nolint", "//nolint:a,b" and "//nolint:a // why";
// linters is nil for all linters.
func parseNolint(text string) (linters []string, ok bool) {
	s, found := strings.CutPrefix(text, "//")
	if !found {
		return nil, false
	}
	s = strings.TrimSpace(s)
	rest, found := strings.CutPrefix(s, "nolint")
	if !found {
		return nil, false
	}
	if rest == "" || rest[0] == ' ' || rest[0] == '\t' {
		return nil, true
	}
	if rest[0] != ':' {
		return nil, false
	}
	list, _, _ := strings.Cut(rest[1:], " ")
	for _, l := range strings.Split(list, ",") {
		if l = strings.TrimSpace(l); l != "" {
			linters = append(linters, l)
		}
	}
	return linters, len(linters) > 0
}

// moduleRels are the root-relative directories of the pass's modules.
func moduleRels(pass *build.Pass) []string {
	var rels []string
	for _, m := range pass.Modules() {
		rels = append(rels, m.Rel)
	}
	return rels
}
