// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/internal/testws"
)

// TestSinceMissesNoDefect seeds changes on a branch and requires that a
// run limited to what they affect (-since=main) reports every finding a
// full run reports, while leaving out what they cannot affect.
func TestSinceMissesNoDefect(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("compares full and limited runs over seeded changes: in the full suite")
	}
	const api, client = "staging/src/example.com/api/", "staging/src/example.com/client/"
	run := []*build.Step{Workspace, Gofmt, Vet, Typecheck, Spelling, Tidy, FileSizes, Aliases}
	tests := []struct {
		name    string
		change  testws.Files
		skipped []string // steps the limited run must leave out
	}{
		{"a file badly formatted", testws.Files{api + "ugly.go": "package api\n\nfunc   Ugly() {}\n"}, []string{"workspace"}},
		{"a vet defect in a leaf module", testws.Files{"cmd/root/bad.go": "package main\n\nimport \"fmt\"\n\nfunc bad() { fmt.Printf(\"%d\\n\", \"x\") }\n"}, []string{"workspace"}},
		{"a change that breaks the module that imports it", testws.Files{api + "types.go": "// Package api defines the types.\npackage api\n\n// Title is the API's name.\nconst Title = \"api\"\n"}, nil},
		{"a misspelling in a document", testws.Files{"docs/guide.md": "We recieve it.\n"}, []string{"workspace", "gofmt", "vet", "typecheck", "tidy", "aliases"}},
		{"a go.mod", testws.Files{client + "go.mod": strings.Replace(testws.Staging()[client+"go.mod"], "require", "require rsc.io/quote v1.5.2\n\nrequire", 1)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testws.New(t, testws.Staging())
			testws.Git(t, dir)
			testws.Run(t, dir, "git", "branch", "-M", "main")
			testws.Run(t, dir, "git", "checkout", "-q", "-b", "change")
			testws.Write(t, dir, tt.change)
			testws.Run(t, dir, "git", "add", "-A")
			testws.Run(t, dir, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "change")

			full, fullOut := runSteps(t, dir, build.Verify, nil, run...)
			if full.ExitCode() == build.ExitOK {
				t.Fatalf("the change seeds no defect:\n%s", fullOut)
			}
			var out strings.Builder
			limited, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Mode: build.Verify, Dir: dir, Since: "main", Order: UpdateOrder()}, Out: &out}, run...)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range full.Results {
				lr := result(limited, r.Step)
				for _, f := range r.Findings {
					if !slices.ContainsFunc(lr.Findings, func(g build.Finding) bool { return g.String() == f.String() }) {
						t.Errorf("-since missed %s: %s\nfull run:\n%s\n-since run:\n%s", r.Step, f, fullOut, out.String())
					}
				}
			}
			for _, s := range tt.skipped {
				if r := result(limited, s); r.Status != build.Skipped || !strings.HasPrefix(r.Reason, "not affected: ") {
					t.Errorf("%s ran, though the change cannot affect it:\n%s", s, out.String())
				}
			}
		})
	}
}
