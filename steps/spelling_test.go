// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

func TestSpelling(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	const code = "package api\n\n// Recieve gets what was sent.\nfunc recieveAll() string {\n\treturn \"the message has occured\" // definately\n}\n"
	testws.Write(t, dir, testws.Files{
		"staging/src/example.com/api/spell.go": code,
		"README.md":                            "# Example\n\nThis is a seperate module.\n",
	})
	rep, out := runSteps(t, dir, build.Verify, nil, Spelling)
	got := findingsOf(rep, "spelling")
	wantFindings(t, rep, "spelling", out,
		`staging/src/example.com/api/spell.go:3:4: "Recieve" is a misspelling of "Receive"`,
		`staging/src/example.com/api/spell.go:5:26: "occured" is a misspelling of "occurred"`,
		`staging/src/example.com/api/spell.go:5:38: "definately" is a misspelling of "definitely"`,
		`README.md:3:11: "seperate" is a misspelling of "separate"`,
	)
	if strings.Contains(got, "recieveAll") || strings.Contains(got, "spell.go:4:") {
		t.Errorf("an identifier was reported:\n%s", got)
	}

	runSteps(t, dir, build.Update, nil, Spelling)
	b, _ := os.ReadFile(filepath.Join(dir, "staging/src/example.com/api/spell.go"))
	want := "package api\n\n// Receive gets what was sent.\nfunc recieveAll() string {\n\treturn \"the message has occurred\" // definitely\n}\n"
	if string(b) != want {
		t.Errorf("after update:\n%s\nwant:\n%s", b, want)
	}

	// Exceptions.
	testws.Write(t, dir, testws.Files{
		"README.md":        "# Example\n\nThis is a seperate module.\n",
		SpellingExceptions: "# words we mean\nseperate\n",
	})
	if rep, out := runSteps(t, dir, build.Verify, nil, Spelling); rep.ExitCode() != build.ExitOK {
		t.Errorf("an exception was reported:\n%s", out)
	}
}

// TestSpellingLocaleIsGolangcis: golangci's misspell locale applies to Go
// code only, as golangci applies it; British spellings in Markdown stay,
// and hackless.yaml's spelling.locale applies to both.
func TestSpellingLocaleIsGolangcis(t *testing.T) {
	files := testws.Staging()
	files[".golangci.yml"] = "version: \"2\"\nlinters:\n  settings:\n    misspell:\n      locale: US\n"
	files["CONTRIBUTING.md"] = "# Contributing\n\nWe favour a colour that is recognised.\n"
	files["staging/src/example.com/api/colour.go"] = "package api\n\n// Paint picks a colour.\nfunc Paint() {}\n"
	dir := testws.New(t, files)
	rep, out := runSteps(t, dir, build.Verify, nil, Spelling)
	got := findingsOf(rep, "spelling")
	if !strings.Contains(got, `colour.go:3:`) {
		t.Errorf("golangci's US locale did not apply to Go:\n%s", out)
	}
	if strings.Contains(got, "CONTRIBUTING.md") {
		t.Errorf("golangci's locale was applied to Markdown:\n%s", out)
	}
	testws.Write(t, dir, testws.Files{"hackless.yaml": "spelling:\n  locale: US\n"})
	rep, out = runSteps(t, dir, build.Verify, nil, Spelling)
	if !strings.Contains(findingsOf(rep, "spelling"), "CONTRIBUTING.md:3:") {
		t.Errorf("spelling.locale did not apply to Markdown:\n%s", out)
	}
}
