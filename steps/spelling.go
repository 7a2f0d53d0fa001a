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
var Spelling = &build.Step{
	Name:   "spelling",
	Doc:    "no common misspellings in comments, strings and Markdown",
	Inputs: build.Inputs{Files: []string{"**/*.go", "**/*.md", SpellingExceptions}, Env: []string{"HACKLESS_SPELLING_EXCEPTIONS"}},
	Writes: []string{"*.go", "*.md"},
	Scope:  build.ScopeModule,
	Run:    runSpelling,
}

func runSpelling(pass *build.Pass) error {
	r := misspell.New()
	exceptions, err := spellingExceptions(pass)
	if err != nil {
		return err
	}
	if len(exceptions) > 0 {
		r.RemoveRule(exceptions)
	}
	r.Compile()
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
		if err := pass.Context().Err(); err != nil {
			return err
		}
		data, err := pass.ReadFile(f)
		if err != nil {
			return err
		}
		checked++
		var fixed []byte
		var diffs []misspell.Diff
		if isGo {
			fixed, diffs = spellGo(r, f, data)
		} else {
			s, d := r.Replace(string(data))
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
	pass.Notef("%d files checked", checked)
	return nil
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
