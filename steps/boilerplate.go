// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/config"
)

// BoilerplateDir is where Boilerplate finds its templates unless
// HACKLESS_BOILERPLATE_DIR names another directory.
const BoilerplateDir = "hack/boilerplate"

// Boilerplate checks that every source file starts with the repository's
// license header, with Kubernetes's templates and rules:
// <dir>/boilerplate.<ext>.txt is the header of files ending in .<ext> (or
// named <ext>, as Makefile or Dockerfile), with YEAR standing for the
// year; Go files marked "DO NOT EDIT" use boilerplate.generatego.txt when
// it exists. Go build constraints, shell or Python shebangs and
// Dockerfile parser directives (# syntax=, # escape=) are skipped before
// comparing. A year in the file, YEAR in the template, or neither, all
// match: Kubernetes's current templates are yearless while its files keep
// their years. A template must be a comment in its files' language, or it
// is refused. vendor, testdata, third_party, _output and hidden
// directories are left out.
//
// Update inserts the header (without a year, so the result does not depend
// on the date) into a file that has none, after its build constraints,
// shebang or parser directives. It never adds a second header, and never
// rewrites a header it does not recognize: a file whose first comment
// mentions a copyright is reported instead.
var Boilerplate = &build.Step{
	Name:   "boilerplate",
	Doc:    "every source file starts with the license header",
	Inputs: build.Inputs{Files: []string{"**/*", BoilerplateDir + "/*"}, Env: []string{"HACKLESS_BOILERPLATE_DIR"}},
	Writes: []string{"*"},
	Run:    runBoilerplate,
}

var (
	yearRE    = regexp.MustCompile(`Copyright (\d{4}) `)
	anyYearRE = regexp.MustCompile(`Copyright (?:\d{4} |YEAR )?`)
	// Dockerfile parser directives must stay the first lines.
	dockerDirectivesRE = regexp.MustCompile(`^(?i)(#[ \t]*(?:syntax|escape|check)[ \t]*=.*\n)+\n*`)
	goConstraints      = regexp.MustCompile(`^(//(go:build| \+build).*\n)+\n`)
	shebangRE          = regexp.MustCompile(`^(#!.*\n)\n*`)
	generatedRE        = regexp.MustCompile(`DO NOT EDIT`)
	headerWordsRE      = regexp.MustCompile(`(?i)copyright|licen[sc]e`)
)

func runBoilerplate(pass *build.Pass) error {
	cfg := pass.Config().Boilerplate
	dir := pass.Getenv("HACKLESS_BOILERPLATE_DIR")
	if dir == "" {
		dir = cfg.Dir
	}
	explicit := dir != ""
	if !explicit {
		var err error
		if dir, err = templateDir(pass); err != nil {
			return err
		}
	}
	refs, err := loadTemplates(pass, dir)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		if len(cfg.Rules) > 0 {
			return checkHeaderRules(pass, cfg)
		}
		return noHeaderRule(pass)
	}
	if err != nil {
		return &build.UsageError{Err: fmt.Errorf("boilerplate templates: %w", err)}
	}
	// A template that is not a comment would be inserted as code: refuse
	// it before anything is read or written.
	bad := false
	for _, key := range slices.Sorted(maps.Keys(refs)) {
		if why := notAComment(key, refs[key]); why != "" {
			pass.ReportConfig(build.Finding{Pos: build.Position{File: path.Join(dir, "boilerplate."+key+".txt"), Line: 1}, Message: why})
			bad = true
		}
	}
	if bad {
		return nil
	}
	files, err := pass.Workspace.Files(pass.Context())
	if err != nil {
		return err
	}
	checked := 0
	for _, f := range files {
		if strings.HasPrefix(f, "third_party/") || strings.Contains(f, "/third_party/") || strings.HasPrefix(f, dir+"/") || boilerplateExcluded(cfg, f) {
			continue
		}
		key := path.Ext(f)
		if key == "" {
			key = path.Base(f)
		} else {
			key = key[1:]
		}
		ref, ok := refs[key]
		if !ok {
			continue
		}
		data, err := pass.ReadFile(f)
		if err != nil {
			return err
		}
		if key == "go" && generatedRE.Match(data) {
			if g, ok := refs["generatego"]; ok {
				ref = g
			}
		}
		checked++
		if err := checkHeader(pass, f, key, data, ref); err != nil {
			return err
		}
	}
	pass.Notef("%d files have a template (%s)", checked, strings.Join(slices.Sorted(maps.Keys(refs)), ", "))
	if len(cfg.Rules) > 0 {
		return checkHeaderRules(pass, cfg)
	}
	return nil
}

func boilerplateExcluded(cfg config.Boilerplate, f string) bool {
	return slices.ContainsFunc(cfg.Exclude, func(g string) bool { return build.MatchGlob(g, f) })
}

// checkHeaderRules checks the simple rules of hackless.yaml: the first
// lines of each file (after its build constraints or shebang) contain a
// text or match a pattern. Generated files
// are left out. Update inserts the rule's header (or its text as a //
// comment) into a file that has none, after its build constraints.
func checkHeaderRules(pass *build.Pass, cfg config.Boilerplate) error {
	files, err := pass.Workspace.Files(pass.Context())
	if err != nil {
		return err
	}
	checked := 0
	for i, rule := range cfg.Rules {
		globs := rule.Files
		if len(globs) == 0 {
			globs = []string{"**/*.go"}
		}
		lines := rule.Lines
		if lines <= 0 {
			lines = 5
		}
		var re *regexp.Regexp
		want := fmt.Sprintf("%q", rule.Text)
		if rule.Pattern != "" {
			if re, err = regexp.Compile(rule.Pattern); err != nil {
				pass.ReportConfig(build.Finding{Pos: build.Position{File: "hackless.yaml", Line: pass.Config().Line("boilerplate", "rules")}, Message: fmt.Sprintf("boilerplate rule %d: pattern: %v", i+1, err)})
				return nil
			}
			want = "/" + rule.Pattern + "/"
		}
		for _, f := range files {
			if !slices.ContainsFunc(globs, func(g string) bool { return build.MatchGlob(g, f) }) || boilerplateExcluded(cfg, f) ||
				strings.HasPrefix(f, "third_party/") || strings.Contains(f, "/third_party/") {
				continue
			}
			data, err := pass.ReadFile(f)
			if err != nil {
				return err
			}
			if strings.HasSuffix(f, ".go") && isGenerated(data) {
				continue
			}
			checked++
			// Counted after build constraints and a shebang, where the
			// header goes.
			key := strings.TrimPrefix(path.Ext(f), ".")
			n := prefixLen(key, data)
			all := strings.SplitN(strings.TrimLeft(string(data[n:]), "\n"), "\n", lines+1)
			head := strings.Join(all[:min(lines, len(all))], "\n")
			if (re != nil && re.MatchString(head)) || (re == nil && strings.Contains(head, rule.Text)) {
				continue
			}
			finding := build.Finding{Pos: build.Position{File: f, Line: 1}, Message: fmt.Sprintf("the first %d lines do not contain %s (boilerplate rule %d of hackless.yaml)", lines, want, i+1)}
			header := rule.Header
			if header == "" && rule.Text != "" {
				header = "// " + rule.Text + "\n"
			}
			if header == "" {
				pass.Report(finding) // a pattern alone says nothing to insert
				continue
			}
			pass.ReportFixable(finding)
			if !strings.HasSuffix(header, "\n") {
				header += "\n"
			}
			fixed := append(append(append([]byte{}, data[:n]...), header+"\n"...), data[n:]...)
			if err := pass.Propose(f, fixed, "missing header"); err != nil {
				return err
			}
		}
	}
	pass.Notef("%d files checked against %d header rules of hackless.yaml", checked, len(cfg.Rules))
	return nil
}

// templateDir is where the templates are: hack/boilerplate, Kubernetes's
// place, else the directory of the tree that holds boilerplate.<ext>.txt
// files (the first, in path order, outside vendor and testdata), wherever
// the repository keeps them (hack/scripts/verify/boilerplate, say).
func templateDir(pass *build.Pass) (string, error) {
	if _, err := pass.Stat(BoilerplateDir); err == nil {
		return BoilerplateDir, nil
	}
	files, err := pass.Workspace.Files(pass.Context())
	if err != nil {
		return "", err
	}
	for _, f := range files {
		b := path.Base(f)
		if strings.HasPrefix(b, "boilerplate.") && strings.HasSuffix(b, ".txt") && strings.Count(b, ".") == 2 {
			return path.Dir(f), nil
		}
	}
	return BoilerplateDir, nil
}

// noHeaderRule is the run of a repository without templates or rules:
// nothing to check, unless its Go files evidently share a header, which
// is then named (hackless init records it as a rule), never passed over
// in silence.
func noHeaderRule(pass *build.Pass) error {
	files, err := moduleFiles(pass)
	if err != nil {
		return err
	}
	counts := make(map[string]int)
	total := 0
	for _, f := range files {
		if total >= 400 {
			break // enough to tell a shared header
		}
		data, err := pass.ReadFile(f)
		if err != nil {
			return err
		}
		if isGenerated(data) {
			continue
		}
		total++
		if line := copyrightLine(data); line != "" {
			counts[line]++
		}
	}
	best, n := "", 0
	for l, c := range counts {
		if c > n || c == n && l < best {
			best, n = l, c
		}
	}
	if n == 0 || n*2 < total {
		pass.Notef("no templates (boilerplate.<ext>.txt) and no boilerplate.rules in hackless.yaml, and the Go files share no header: nothing to check")
		return nil
	}
	pass.Notef("not checked: %d of %d Go files share the header %q, but no template or boilerplate.rules says it is the rule; hackless init records it in hackless.yaml (boilerplate.rules)", n, total, best)
	return nil
}

// copyrightLine returns the line of a file's leading comments, after
// build constraints, that names a copyright, years taken out ("" if none).
func copyrightLine(data []byte) string {
	for _, l := range strings.SplitN(string(data), "\n", 30) {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "//go:build") || strings.HasPrefix(t, "// +build") {
			continue
		}
		if !strings.HasPrefix(t, "//") && !strings.HasPrefix(t, "/*") && !strings.HasPrefix(t, "*") {
			return ""
		}
		if strings.Contains(strings.ToLower(t), "copyright") {
			return strings.Join(strings.Fields(yearsRE.ReplaceAllString(t, "")), " ")
		}
	}
	return ""
}

// yearsRE matches a year or a range of years in a header.
var yearsRE = regexp.MustCompile(`\b(19|20)\d\d(\s*[-,]\s*(19|20)\d\d)*\b`)

// loadTemplates reads boilerplate.<key>.txt files.
func loadTemplates(pass *build.Pass, dir string) (map[string][]byte, error) {
	entries, err := pass.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	refs := make(map[string][]byte)
	for _, e := range entries {
		name := e.Name()
		key, ok := strings.CutPrefix(name, "boilerplate.")
		if !ok || !strings.HasSuffix(key, ".txt") || e.IsDir() {
			continue
		}
		data, err := pass.ReadFile(path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		// A Dockerfile template may begin with the parser directives its
		// files begin with (# syntax=…): they are no part of the header,
		// and are skipped in the files too.
		if loc := dockerDirectivesRE.FindIndex(data); loc != nil {
			data = data[loc[1]:]
		}
		refs[strings.TrimSuffix(key, ".txt")] = data
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("%s holds no boilerplate.<ext>.txt: %w", dir, fs.ErrNotExist)
	}
	return refs, nil
}

// commentStyle is how a template must be written for the files of a key:
// "/*" (a block or // line comments, as in Go and C) or "#".
func commentStyle(key string) string {
	switch key {
	case "go", "generatego", "c", "h", "cc", "cpp", "java", "js", "ts", "proto", "css", "scss", "rs", "swift", "kt", "scala":
		return "/*"
	case "sh", "bash", "py", "Makefile", "mk", "Dockerfile", "yaml", "yml", "bzl", "bazel", "BUILD", "toml", "rb", "pl", "tf", "cfg", "conf":
		return "#"
	}
	return ""
}

// notAComment says why a template is not a comment in the language of its
// files, or returns "" (also for languages it does not know).
func notAComment(key string, tmpl []byte) string {
	text := strings.TrimSpace(string(tmpl))
	switch commentStyle(key) {
	case "/*":
		if strings.HasPrefix(text, "/*") && strings.HasSuffix(text, "*/") {
			return ""
		}
		for _, line := range strings.Split(text, "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "//") {
				return fmt.Sprintf("the template for .%s files is not a comment: wrap it in /* */ (or start every line with //), or it would be inserted as code", key)
			}
		}
	case "#":
		for _, line := range strings.Split(text, "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				return fmt.Sprintf("the template for %s files is not a comment: start every line with #, or it would be inserted as code", key)
			}
		}
	}
	return ""
}

// prefixLen returns how much of the start of a file comes before its
// header: Go build constraints, a shebang, or Dockerfile parser directives.
func prefixLen(key string, data []byte) int {
	var m []int
	switch key {
	case "go", "generatego":
		m = goConstraints.FindIndex(data)
	case "sh", "py", "bash":
		m = shebangRE.FindIndex(data)
	case "Dockerfile":
		m = dockerDirectivesRE.FindIndex(data)
	}
	if m == nil {
		return 0
	}
	return m[1]
}

func checkHeader(pass *build.Pass, file, key string, data, ref []byte) error {
	start := prefixLen(key, data)
	body := data[start:]
	refLines := strings.Split(strings.TrimRight(string(ref), "\n"), "\n")
	lines := strings.SplitN(string(body), "\n", len(refLines)+1)
	if len(lines) > len(refLines) {
		lines = lines[:len(refLines)]
	}
	got := strings.Join(lines, "\n")
	if strings.Contains(got, "YEAR") {
		pass.Reportf(build.Position{File: file, Line: lineAt(data, start)}, "the header still says YEAR: put in the year, or drop it")
		return nil
	}
	want := strings.Join(refLines, "\n")
	// A year, YEAR or none: Kubernetes's templates are yearless now while
	// its files keep their years, and its own check accepts both.
	if anyYearRE.ReplaceAllString(got, "Copyright ") == anyYearRE.ReplaceAllString(want, "Copyright ") {
		return nil
	}
	pos := build.Position{File: file, Line: lineAt(data, start)}
	if hasOtherHeader(body) {
		pass.Reportf(pos, "the header does not match %s, and update will not rewrite a header it does not recognize: fix it by hand", "boilerplate."+key+".txt")
		return nil
	}
	header := strings.Replace(string(ref), "Copyright YEAR ", "Copyright ", 1)
	var out bytes.Buffer
	out.Write(data[:start])
	out.WriteString(strings.TrimRight(header, "\n") + "\n\n")
	out.Write(bytes.TrimLeft(body, "\n"))
	return pass.Propose(file, out.Bytes(), "missing the license header (boilerplate."+key+".txt)")
}

// hasOtherHeader reports whether a file starts with a comment that
// mentions a copyright or license.
func hasOtherHeader(body []byte) bool {
	head := body
	if i := bytes.Index(body, []byte("\n\n")); i >= 0 {
		head = body[:i]
	}
	t := bytes.TrimSpace(head)
	isComment := bytes.HasPrefix(t, []byte("//")) || bytes.HasPrefix(t, []byte("/*")) || bytes.HasPrefix(t, []byte("#"))
	return isComment && headerWordsRE.Match(head)
}

// lineAt returns the 1-based line of a byte offset.
func lineAt(data []byte, off int) int {
	return 1 + bytes.Count(data[:off], []byte("\n"))
}
