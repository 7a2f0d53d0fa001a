// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/golangci/misspell"

	"github.com/hackless/hackless/build"
)

// SpellingExceptions is the file of words Spelling accepts, one per line
// (# starts a comment), unless HACKLESS_SPELLING_EXCEPTIONS names another.
const SpellingExceptions = "hack/spelling-exceptions.txt"

// Spelling checks Go comments and string literals, and Markdown files, for
// common misspellings of English words, in process with
// github.com/golangci/misspell (the maintained fork of client9/misspell).
// Words in hack/spelling-exceptions.txt are accepted. Update corrects the
// files.
//
// Left out by default: generated files ("Code generated … DO NOT EDIT":
// the fix belongs in the generator) and release notes, which record what
// was written then (CHANGELOG*, CHANGES*, any CHANGELOG/ or
// release-notes/ directory). spelling.exclude in hackless.yaml adds path
// globs, spelling.ignore words, and spelling.locale (US or UK) also
// corrects the other variety's spellings. Where the repository's golangci
// configuration sets misspell's locale, ignore-rules (v2) or ignore-words
// (v1), those apply too; its locale to Go files only, as golangci applies
// it (Markdown keeps its British or American spellings unless
// spelling.locale says otherwise).
var Spelling = &build.Step{
	Name:   "spelling",
	Doc:    "no common misspellings in comments, strings and Markdown",
	Inputs: build.Inputs{Files: append([]string{"**/*.go", "**/*.md", SpellingExceptions}, golangciInputs...), Env: []string{"HACKLESS_SPELLING_EXCEPTIONS"}},
	Writes: []string{"*.go", "*.md"},
	Scope:  build.ScopeModule,
	Run:    runSpelling,
}

func runSpelling(pass *build.Pass) error {
	exceptions, err := spellingExceptions(pass)
	if err != nil {
		return err
	}
	cfg := pass.Config().Spelling
	// golangci's misspell locale applies to Go code only, as golangci
	// applies it: Markdown gets hackless.yaml's spelling.locale alone.
	goLocale, ignore := golangciMisspell(pass)
	if cfg.Locale != "" {
		goLocale = cfg.Locale
	}
	exceptions = append(append(exceptions, ignore...), cfg.Ignore...)
	r, md := speller(goLocale, exceptions), speller(cfg.Locale, exceptions)
	excluded := append(slices.Clone(defaultSpellingExclude), cfg.Exclude...)
	generated := 0
	files, err := pass.Workspace.Files(pass.Context())
	if err != nil {
		return err
	}
	gofiles, err := moduleFiles(pass)
	if err != nil {
		return err
	}
	isGoFile := make(map[string]bool, len(gofiles))
	for _, f := range gofiles {
		isGoFile[f] = true
	}
	inModules, err := ownedByPassModules(pass)
	if err != nil {
		return err
	}
	checked := 0
	for _, f := range files {
		isGo := isGoFile[f]
		if !isGo && (strings.ToLower(path.Ext(f)) != ".md" || !inModules(f)) {
			continue
		}
		if slices.ContainsFunc(excluded, func(g string) bool { return build.MatchGlob(g, f) }) {
			continue
		}
		if err := pass.Context().Err(); err != nil {
			return err
		}
		data, err := pass.ReadFile(f)
		if err != nil {
			return err
		}
		if isGo && isGenerated(data) {
			generated++
			continue
		}
		checked++
		var fixed []byte
		var diffs []misspell.Diff
		if isGo {
			fixed, diffs = spellGo(r, f, data)
		} else {
			s, d := md.Replace(string(data))
			fixed, diffs = []byte(s), d
		}
		if len(diffs) == 0 {
			continue
		}
		for _, d := range diffs {
			pass.ReportFixable(build.Finding{
				Pos:     build.Position{File: f, Line: d.Line, Col: d.Column + 1},
				Message: fmt.Sprintf("%q is a misspelling of %q", d.Original, d.Corrected),
			})
		}
		if err := pass.Propose(f, fixed, "misspellings"); err != nil {
			return err
		}
	}
	if generated > 0 {
		pass.Notef("%d files checked, %d generated files left out", checked, generated)
	} else {
		pass.Notef("%d files checked", checked)
	}
	return nil
}

// speller is misspell's replacer of common misspellings, with the other
// variety's spellings for locale US or UK, less the exceptions.
func speller(locale string, exceptions []string) *misspell.Replacer {
	r := misspell.New()
	switch strings.ToUpper(locale) {
	case "US":
		r.AddRuleList(misspell.DictAmerican)
	case "UK":
		r.AddRuleList(misspell.DictBritish)
	}
	if len(exceptions) > 0 {
		r.RemoveRule(exceptions)
	}
	r.Compile()
	return r
}

// defaultSpellingExclude are the release notes spelling leaves out: they
// record what was written at the time.
var defaultSpellingExclude = []string{"**/CHANGELOG*", "**/CHANGES*", "**/CHANGELOG/**", "**/release-notes/**"}

// golangciMisspell reads misspell's settings from the repository's
// golangci configuration (v2: linters.settings.misspell, v1:
// linters-settings.misspell): its locale and the words it ignores.
func golangciMisspell(pass *build.Pass) (locale string, ignore []string) {
	var doc struct {
		Linters struct {
			Settings struct {
				Misspell misspellSettings `yaml:"misspell"`
			} `yaml:"settings"`
		} `yaml:"linters"`
		LintersSettings struct {
			Misspell misspellSettings `yaml:"misspell"`
		} `yaml:"linters-settings"`
	}
	if decodeGolangci(pass, &doc) == "" {
		return "", nil
	}
	for _, m := range []misspellSettings{doc.Linters.Settings.Misspell, doc.LintersSettings.Misspell} {
		if m.Locale != "" {
			locale = m.Locale
		}
		ignore = append(append(ignore, m.IgnoreRules...), m.IgnoreWords...)
	}
	return locale, ignore
}

type misspellSettings struct {
	Locale      string   `yaml:"locale"`
	IgnoreRules []string `yaml:"ignore-rules"`
	IgnoreWords []string `yaml:"ignore-words"`
}

// spellGo corrects the comments and string literals of a Go file, leaving
// code alone.
func spellGo(r *misspell.Replacer, name string, src []byte) ([]byte, []misspell.Diff) {
	fset := token.NewFileSet()
	file := fset.AddFile(name, -1, len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, scanner.ScanComments)
	var out bytes.Buffer
	var diffs []misspell.Diff
	last := 0
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.COMMENT && tok != token.STRING {
			continue
		}
		off := file.Offset(pos)
		if off < last || off+len(lit) > len(src) || string(src[off:off+len(lit)]) != lit {
			continue // a synthesized token, as an automatic semicolon
		}
		fixedLit, ds := r.Replace(lit)
		if len(ds) == 0 {
			continue
		}
		start := fset.Position(pos)
		for _, d := range ds {
			// d.Line and d.Column are within lit.
			if d.Line == 1 {
				d.Column += start.Column - 1
			}
			d.Line += start.Line - 1
			diffs = append(diffs, d)
		}
		out.Write(src[last:off])
		out.WriteString(fixedLit)
		last = off + len(lit)
	}
	out.Write(src[last:])
	return out.Bytes(), diffs
}

// spellingExceptions reads the words to accept.
func spellingExceptions(pass *build.Pass) ([]string, error) {
	name := pass.Getenv("HACKLESS_SPELLING_EXCEPTIONS")
	explicit := name != ""
	if !explicit {
		name = SpellingExceptions
	}
	data, err := pass.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return nil, nil
	}
	if err != nil {
		return nil, &build.UsageError{Err: fmt.Errorf("HACKLESS_SPELLING_EXCEPTIONS: %w", err)}
	}
	var words []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		words = append(words, strings.Fields(line)...)
	}
	return words, sc.Err()
}
