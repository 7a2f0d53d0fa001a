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
