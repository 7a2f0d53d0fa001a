// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/internal/testws"
)

func TestNolint(t *testing.T) {
	src := `package p

import "sync"

type T struct{ mu sync.Mutex }

func a(t T) {} //nolint:govet // copies on purpose

//nolint:govet
func b(t T) {
	_ = t
}

func c(t T) {} //nolint:errcheck

func d(t T) {} //nolint

func e(t T) {} // nolint:govet is not a directive with the space? it is, golangci accepts "// nolint"

func f(t T) {}
`
	ranges := nolintRanges([]byte(src))
	x := &nolintIndex{files: map[string][]nolintRange{"p.go": ranges}}
	lineOf := func(fn string) int {
		for i, l := range strings.Split(src, "\n") {
			if strings.HasPrefix(l, "func "+fn+"(") {
				return i + 1
			}
		}
		t.Fatalf("no func %s", fn)
		return 0
	}
	for fn, want := range map[string]bool{"a": true, "b": true, "c": false, "d": true, "e": true, "f": false} {
		if got := x.suppressed(build.Position{File: "p.go", Line: lineOf(fn)}, "govet"); got != want {
			t.Errorf("func %s: suppressed = %v, want %v", fn, got, want)
		}
	}
	// The declaration's body is covered too.
	if !x.suppressed(build.Position{File: "p.go", Line: lineOf("b") + 1}, "govet") {
		t.Error("the body of b is not covered by the nolint before it")
	}
	file := "//nolint:govet\npackage p\n\nfunc g() {}\n"
	x.files["q.go"] = nolintRanges([]byte(file))
	if !x.suppressed(build.Position{File: "q.go", Line: 4}, "govet") {
		t.Error("a nolint before the package clause does not cover the file")
	}
}

func TestGoFailure(t *testing.T) {
	rel := func(p string) string { return strings.TrimPrefix(p, "/ws/") }
	for _, tc := range []struct {
		name, out, wantPos, wantMsg, wantDetail string
	}{
		{
			name:    "ambiguous import",
			out:     "bridge/b.go:5:2: ambiguous import: found package google.golang.org/genproto/googleapis/api/annotations in multiple modules:\n\tgoogle.golang.org/genproto v0.0.0-2020 (/m/genproto)\n\tgoogle.golang.org/genproto/googleapis/api v0.0.0-2024 (/m/api)\n",
			wantPos: "bridge/b.go:5:2", wantMsg: "google.golang.org/genproto/googleapis/api v0.0.0-2024", wantDetail: "hint: two modules",
		},
		{
			name:    "go.work version",
			out:     "go: module . listed in go.work file requires go >= 1.26.0, but go.work lists go 1.26; to update it:\n\tgo work use\n",
			wantPos: "go.work:1", wantMsg: "requires go >= 1.26.0", wantDetail: "fix: go work use",
		},
		{
			name:    "missing go.sum entry",
			out:     "/ws/api/a.go:3:8: missing go.sum entry for module providing package example.com/x (imported by example.com/api); to add:\n\tgo get example.com/api\n",
			wantPos: "api/a.go:3:8", wantMsg: "missing go.sum entry", wantDetail: "fix: go get example.com/api",
		},
		{
			// A load error in the module cache: placed in the tree, once.
			name:    "module cache",
			out:     "/root/go/pkg/mod/cloud.google.com/go@v0.1.0/status.go:35:2: undefined: x\n",
			wantPos: "go.work:1", wantMsg: "undefined: x (in the module cache's cloud.google.com/go@v0.1.0/status.go:35:2)",
		},
		{
			name:    "one error at every import",
			out:     "/ws/api/a.go:3:2: example.com/x@v1.0.0: reading https://proxy/example.com/x/@v/v1.0.0.zip: 403 Forbidden\n/ws/api/b.go:4:2: example.com/x@v1.0.0: reading https://proxy/example.com/x/@v/v1.0.0.zip: 403 Forbidden\n/ws/client/c.go:5:2: example.com/x@v1.0.0: reading https://proxy/example.com/x/@v/v1.0.0.zip: 403 Forbidden\n",
			wantPos: "api/a.go:3:2", wantMsg: "403 Forbidden (and at 2 more places)",
		},
		{
			// A cold module cache: progress lines are no findings.
			name:    "progress",
			out:     "go: downloading github.com/x/y v1.2.3\ngo: finding module for package example.com/z\ngo: extracting example.com/q v0.1.0\ngo: found example.com/z in example.com/z v1.0.0\n/ws/api/a.go:3:8: undefined: Foo\n",
			wantPos: "api/a.go:3:8", wantMsg: "undefined: Foo",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, unplaced := goFailure(tc.out, rel, build.Position{File: "go.work", Line: 1})
			fs = dedupe(fs) // as reportGoError and vet report them
			if len(fs) != 1 || len(unplaced) != 0 {
				t.Fatalf("findings %v, unplaced %q", fs, unplaced)
			}
			f := fs[0]
			if f.Pos.String() != tc.wantPos || !strings.Contains(f.Message, tc.wantMsg) || !strings.HasPrefix(f.Detail, tc.wantDetail) {
				t.Errorf("got %s: %s [%s]", f.Pos, f.Message, f.Detail)
			}
		})
	}
}

func TestVetPartialLoadAndSuppression(t *testing.T) {
	files := testws.Staging()
	bad := "package client\n\nimport \"fmt\"\n\n// %s misuses Printf.\nfunc %s() { fmt.Printf(\"%%d\\n\", \"x\") }%s\n"
	files["staging/src/example.com/api/broken/broken.go"] = "// Package broken imports what no module provides.\npackage broken\n\nimport _ \"example.com/nothere\"\n"
	files["staging/src/example.com/client/bad.go"] = fmt.Sprintf(bad, "Bad", "Bad", "")
	files["staging/src/example.com/client/quiet.go"] = fmt.Sprintf(bad, "Quiet", "Quiet", " //nolint:govet // on purpose")
	files["staging/src/example.com/client/excluded.go"] = fmt.Sprintf(bad, "Excluded", "Excluded", "")
	files["hackless.yaml"] = "vet:\n  exclude:\n    - path: \"**/excluded.go\"\n      analyzer: printf\n"
	dir := testws.New(t, files)
	rep, out := runSteps(t, dir, build.Verify, nil, Vet)
	r := rep.Results[0]
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Pos.File)
	}
	if r.Status != build.Failed || !slices.Contains(got, "staging/src/example.com/client/bad.go") ||
		!slices.Contains(got, "staging/src/example.com/api/broken/broken.go") ||
		slices.Contains(got, "staging/src/example.com/client/quiet.go") || slices.Contains(got, "staging/src/example.com/client/excluded.go") ||
		!strings.Contains(out, "2 findings suppressed") ||
		!strings.Contains(out, "fix: cd staging/src/example.com/api && go get example.com/nothere") {
		t.Fatalf("findings in %v:\n%s", got, out)
	}
}

// TestWorkspaceOnlyTypeError: a module whose code type-checks with its own
// build list but not in the workspace (go.work uses a newer copy of a
// module it requires) fails "in the workspace", while another module's
// finding is still reported; vet and typecheck alike.
func TestWorkspaceOnlyTypeError(t *testing.T) {
	t.Parallel()
	files := testws.Staging()
	const lib = "staging/src/example.com/lib/"
	files[lib+"go.mod"] = "module example.com/lib\n\ngo " + testws.GoVersion + "\n"
	files[lib+"lib.go"] = "// Package lib is the newer copy.\npackage lib\n\n// Gone was Go.\nfunc Gone() string { return \"go\" }\n"
	files["third_party/lib/go.mod"] = files[lib+"go.mod"]
	files["third_party/lib/lib.go"] = "// Package lib is the released copy.\npackage lib\n\n// Go says go.\nfunc Go() string { return \"go\" }\n"
	files["go.work"] = strings.Replace(files["go.work"], ")", "\t./"+strings.TrimSuffix(lib, "/")+"\n)", 1)
	files[clientDir+"go.mod"] = strings.Replace(files[clientDir+"go.mod"], "require example.com/api v0.0.0\n", "require (\n\texample.com/api v0.0.0\n\texample.com/lib v0.0.0\n)\n", 1) +
		"\nreplace example.com/lib => ../../../../third_party/lib\n"
	files[clientDir+"uses.go"] = "package client\n\nimport \"example.com/lib\"\n\n// Uses calls what the workspace's copy lacks.\nfunc Uses() string { return lib.Go() }\n"
	files[apiDir+"bad.go"] = "package api\n\nimport \"fmt\"\n\n// Bad misuses Printf.\nfunc Bad() { fmt.Printf(\"%d\\n\", \"x\") }\n"
	dir := testws.New(t, files)
	rep, out := runSteps(t, dir, build.Verify, nil, Vet, Typecheck)
	for _, step := range []string{"vet", "typecheck"} {
		var got []string
		for _, f := range result(rep, step).Findings {
			got = append(got, f.Pos.String()+": "+f.Message)
		}
		joined := strings.Join(got, "\n")
		if !strings.Contains(joined, clientDir+"uses.go:6:") || !strings.Contains(joined, "in the workspace: ") ||
			!strings.Contains(joined, "(the module example.com/client loads on its own, with GOWORK=off") {
			t.Errorf("%s: no workspace-only failure in %s:\n%s", step, clientDir, joined)
		}
		if step == "vet" && !strings.Contains(joined, apiDir+"bad.go:6:") {
			t.Errorf("vet: the finding in api is lost:\n%s", joined)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

// TestVetOneModulePartialLoad: in a single-module workspace, a package
// that does not load leaves the others analysed.
func TestVetOneModulePartialLoad(t *testing.T) {
	t.Parallel()
	dir := testws.New(t, testws.Files{
		"go.work":          "go " + testws.GoVersion + "\n\nuse .\n",
		"go.mod":           "module example.com/one\n\ngo " + testws.GoVersion + "\n",
		"broken/broken.go": "// Package broken imports what no module provides.\npackage broken\n\nimport _ \"example.com/nothere\"\n",
		"bad/bad.go":       "// Package bad misuses Printf.\npackage bad\n\nimport \"fmt\"\n\n// Bad misuses Printf.\nfunc Bad() { fmt.Printf(\"%d\\n\", \"x\") }\n",
	})
	rep, out := runSteps(t, dir, build.Verify, nil, Vet)
	var got []string
	for _, f := range rep.Results[0].Findings {
		got = append(got, f.Pos.File)
	}
	if !slices.Contains(got, "bad/bad.go") || !slices.Contains(got, "broken/broken.go") {
		t.Errorf("findings in %v, want bad/bad.go and broken/broken.go:\n%s", got, out)
	}
}

// FuzzGoFailure: no output of the go command makes goFailure panic, and a
// progress line never becomes a finding.
func FuzzGoFailure(f *testing.F) {
	for _, seed := range []string{
		"bridge/b.go:5:2: ambiguous import: found package p in multiple modules:\n\tm1 v1 (/m/1)\n\tm2 v2 (/m/2)\n",
		"go: module . listed in go.work file requires go >= 1.26.0, but go.work lists go 1.26; to update it:\n\tgo work use\n",
		"/ws/api/a.go:3:8: missing go.sum entry; to add:\n\tcd /ws/api\n\tgo get example.com/api\n",
		"go: downloading github.com/x/y v1.2.3\n# example.com/p\n./p.go:1:1: expected 'package'\n",
		"go.mod:5: unknown directive: frobnicate\n",
		"\t\n:\n::1:\n",
	} {
		f.Add(seed)
	}
	rel := func(p string) string { return strings.TrimPrefix(p, "/ws/") }
	f.Fuzz(func(t *testing.T, out string) {
		pos := build.Position{File: "go.work", Line: 1}
		fs, _ := goFailure(out, rel, pos)
		// Progress before the output changes nothing.
		again, _ := goFailure("go: downloading example.com/m v1.0.0\n"+out, rel, pos)
		if !slices.EqualFunc(fs, again, func(a, b build.Finding) bool { return a.String() == b.String() && a.Detail == b.Detail }) {
			t.Errorf("a progress line changed the findings of %q: %v -> %v", out, fs, again)
		}
	})
}

// ambiguousWorkspace is a repository without go.work whose joint build
// list (hackless's view of it) has an ambiguous import no module has on
// its own: metric requires the split status module, bridge the old
// monolith that still holds the package (google.golang.org/genproto and
// its googleapis/rpc split); other is an ordinary module.
func ambiguousWorkspace(t *testing.T) string {
	const status = "// Package status holds status codes.\npackage status\n\n// Code is a status code.\nconst Code = 1\n"
	dir := testws.New(t, testws.Files{
		".gitignore":               "go.work\ngo.work.sum\n",
		"testdata/genproto/go.mod": "module example.com/genproto\n\ngo 1.25.0\n",
		"testdata/genproto/googleapis/rpc/status/status.go": status,
		"testdata/genproto-rpc/go.mod":                      "module example.com/genproto/googleapis/rpc\n\ngo 1.25.0\n",
		"testdata/genproto-rpc/status/status.go":            status,
		"metric/go.mod":                                     "module example.com/c/metric\n\ngo 1.25.0\n\nrequire example.com/genproto/googleapis/rpc v0.0.0\n\nreplace example.com/genproto/googleapis/rpc => ../testdata/genproto-rpc\n",
		"metric/status.go":                                  "// Package metric measures.\npackage metric\n\nimport \"example.com/genproto/googleapis/rpc/status\"\n\n// Code is the status code.\nconst Code = status.Code\n",
		"bridge/go.mod":                                     "module example.com/c/bridge\n\ngo 1.25.0\n\nrequire example.com/genproto v0.0.0\n\nreplace example.com/genproto => ../testdata/genproto\n",
		"bridge/bridge.go":                                  "// Package bridge still uses the old monolith.\npackage bridge\n\nimport \"example.com/genproto/googleapis/rpc/status\"\n\n// Code is the status code.\nconst Code = status.Code\n",
		"other/go.mod":                                      "module example.com/c/other\n\ngo 1.25.0\n",
		"other/other.go":                                    "// Package other is other.\npackage other\n",
	})
	testws.Git(t, dir)
	return dir
}

// TestVetAmbiguousImportVerdict: an ambiguous import of the joint build
// list is one note, the same in a full run and in a run limited to what
// changed, and a defect in another module is caught in both.
func TestVetAmbiguousImportVerdict(t *testing.T) {
	dir := ambiguousWorkspace(t)
	run := func(since string) (*build.Report, string) {
		var out bytes.Buffer
		rep, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Mode: build.Verify, Dir: dir, Since: since}, Out: &out}, Vet)
		if err != nil {
			t.Fatal(err)
		}
		return rep, out.String()
	}
	rep, out := run("")
	if rep.ExitCode() != build.ExitOK || !strings.Contains(out, "ambiguous import") {
		t.Fatalf("full run: want a pass with the ambiguous import as a note:\n%s", out)
	}
	testws.Write(t, dir, testws.Files{"metric/status.go": "// Package metric measures.\npackage metric\n\nimport \"example.com/genproto/googleapis/rpc/status\"\n\n// Code is the status code, now typed.\nconst Code int = status.Code\n"})
	if rep, out := run("HEAD"); rep.ExitCode() != build.ExitOK || !strings.Contains(out, "ambiguous import") {
		t.Errorf("a run limited to metric: want the same verdict:\n%s", out)
	}
	// A defect in a module that does not load in the workspace (go vet
	// names one package's load error only) and one in another module.
	testws.Write(t, dir, testws.Files{
		"other/bad.go":  "package other\n\nimport \"fmt\"\n\n// Bad misuses Sprintf.\nfunc Bad() string { return fmt.Sprintf(\"%d\", \"x\") }\n",
		"metric/bad.go": "package metric\n\nimport \"fmt\"\n\n// Bad misuses Sprintf.\nfunc Bad() string { return fmt.Sprintf(\"%d\", \"x\") }\n",
	})
	for _, since := range []string{"", "HEAD"} {
		rep, out := run(since)
		wantFindings(t, rep, "vet", out, "other/bad.go:6:", "metric/bad.go:6:")
		if n := len(result(rep, "vet").Findings); n != 2 {
			t.Errorf("since %q: %d findings, want the defects alone:\n%s", since, n, out)
		}
	}
}

// TestVetChecksWhatAnEditReaches: with per-package keys, an edit re-runs
// vet and typecheck for the edited package and its importers only,
// naming those packages to the go command (a module whose packages all
// miss by its ./... pattern), and a package that only another platform
// builds, when it alone is edited, is left out on the platforms that do
// not build it instead of failing go vet there.
func TestVetChecksWhatAnEditReaches(t *testing.T) {
	t.Parallel()
	files := testws.Staging()
	files["hackless.yaml"] = "typecheck:\n  platforms: [linux/amd64, windows/amd64]\n"
	files[clientDir+"winonly/winonly_windows.go"] = "// Package winonly is for Windows.\npackage winonly\n\n// W is one.\nconst W = 1\n"
	files[clientDir+"ignored/_scratch.go"] = "package ignored\n" // the go command ignores it: no package
	dir := testws.New(t, files)
	testws.Git(t, dir)
	cacheDir := t.TempDir()
	run := func() map[string]*build.Result {
		t.Helper()
		res, log := diffRun(t, dir, os.Environ(), cacheDir, []*build.Step{Vet, Typecheck})
		if !allPassed(res) {
			t.Fatalf("the run failed:\n%s", log)
		}
		return res
	}
	run()
	if res := run(); !allCached(res, []*build.Step{Vet, Typecheck}) {
		t.Fatalf("nothing changed, yet not every step was cached")
	}
	// That run found every package's pass and kept the fact once, which
	// the next run reads instead of one entry per package.
	summaries := 0
	filepath.WalkDir(filepath.Join(cacheDir, "entries"), func(p string, d fs.DirEntry, err error) error {
		if b, _ := os.ReadFile(p); err == nil && !d.IsDir() && strings.Contains(string(b), `"Package":"(every package)"`) {
			summaries++
		}
		return nil
	})
	if summaries != 2 {
		t.Errorf("%d entries say every package passed; want one for vet and one for typecheck", summaries)
	}
	if res := run(); !allCached(res, []*build.Step{Vet, Typecheck}) {
		t.Fatalf("nothing changed, yet not every step was cached the third time")
	}
	vetCommand := func(r *build.Result) string {
		for _, c := range r.Commands {
			if strings.Contains(c, "go vet") {
				return c
			}
		}
		t.Fatalf("%s ran no go vet: %q", r.Step, r.Commands)
		return ""
	}

	// helpers is imported by cmd/root, the root module's only package.
	testws.Write(t, dir, testws.Files{apiDir + "helpers/more.go": "package helpers\n\n// More is more.\nconst More = 1\n"})
	res := run()
	for _, step := range []string{"vet", "typecheck"} {
		r := res[step]
		cmd := vetCommand(r)
		if !strings.HasSuffix(cmd, " ./... ./staging/src/example.com/api/helpers)") {
			t.Errorf("%s after an edit of api/helpers ran %q; want the root module's ./... and api/helpers alone", step, cmd)
		}
		if !slices.Contains(r.Notes, "3 of 5 packages cached") {
			t.Errorf("%s notes %q; want 3 of 5 packages cached (api, client, client/winonly)", step, r.Notes)
		}
	}

	// winonly alone: linux/amd64 builds no package there.
	testws.Replace(t, dir, clientDir+"winonly/winonly_windows.go", "const W = 1", "const W = 2")
	res = run()
	if cmd := vetCommand(res["typecheck"]); !strings.Contains(cmd, "./staging/src/example.com/client/winonly") {
		t.Errorf("typecheck after an edit of winonly ran %q; want winonly named", cmd)
	}
	if slices.ContainsFunc(res["vet"].Commands, func(c string) bool { return strings.Contains(c, "go vet") }) {
		t.Errorf("vet on linux ran go vet for a Windows-only package: %q", res["vet"].Commands)
	}

	// A file the go command ignores makes no package of its directory.
	testws.Write(t, dir, testws.Files{clientDir + "ignored/_scratch.go": "package ignored\n\n// edited\n"})
	run()
}

func TestBuiltEverywhere(t *testing.T) {
	tests := []struct {
		name  string
		files testws.Files
		want  bool
	}{
		{"plain file", testws.Files{"a.go": "package a\n"}, true},
		{"doc file beside platform files", testws.Files{"doc.go": "// Package a.\npackage a\n", "a_windows.go": "package a\n"}, true},
		{"platform files only", testws.Files{"a_windows.go": "package a\n", "a_linux.go": "package a\n"}, false},
		{"build constraint", testws.Files{"a.go": "//go:build windows\n\npackage a\n"}, false},
		{"old build constraint", testws.Files{"a.go": "// +build windows\n\npackage a\n"}, false},
		{"ignored generator", testws.Files{"gen.go": "//go:build ignore\n\npackage main\n"}, false},
		{"cgo", testws.Files{"a.go": "package a\n\n// int x;\nimport \"C\"\n"}, false},
		{"tests only", testws.Files{"a_test.go": "package a\n"}, false},
		{"underscore-prefixed", testws.Files{"_a.go": "package a\n"}, false},
		{"constraint after the package clause is no constraint", testws.Files{"a.go": "package a\n\n//go:build windows\n"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := builtEverywhere(testws.New(t, tt.files)); got != tt.want {
				t.Errorf("builtEverywhere = %v, want %v", got, tt.want)
			}
		})
	}
}
