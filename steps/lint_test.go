// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

// lintDefect is a file with an errcheck finding at 7:11.
const lintDefect = "package client\n\nimport \"os\"\n\n// Clean removes the file we recieve.\nfunc Clean() {\n\tos.Remove(\"x\")\n}\n"

// TestLintFindsConfigurationAndPin: a configuration under tools/ is found
// (never a silent pass), and without a pin lint runs the version hackless
// pins; with golangci-lint required the tools.go way, that version runs.
func TestLintFindsConfigurationAndPin(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds golangci-lint")
	}
	files := testws.Staging()
	files["tools/.golangci.yaml"] = "version: \"2\"\nlinters:\n  default: none\n  enable:\n    - errcheck\n"
	files["staging/src/example.com/client/lint.go"] = lintDefect
	dir := testws.New(t, files)
	rep, out := runSteps(t, dir, build.Verify, nil, Lint)
	wantFindings(t, rep, "lint", out, "staging/src/example.com/client/lint.go:7:11: Error return value of `os.Remove` is not checked (errcheck)")
	if !strings.Contains(out, "no module, Makefile or workflow pins golangci-lint, so lint runs "+DefaultGolangciLint) || !strings.Contains(out, "tools/.golangci.yaml") {
		t.Errorf("the run does not say which version and configuration it used:\n%s", out)
	}

	// The tools.go pattern: a requirement, no tool directive.
	testws.Write(t, dir, testws.Files{
		"internal/tools/go.mod":   "module example.com/internal/tools\n\ngo " + testws.GoVersion + "\n\nrequire github.com/golangci/golangci-lint/v2 v2.6.2\n",
		"internal/tools/tools.go": "//go:build tools\n\npackage tools\n\nimport _ \"github.com/golangci/golangci-lint/v2/cmd/golangci-lint\"\n",
	})
	testws.Tidy(t, dir, "internal/tools")
	rep, out = runSteps(t, dir, build.Verify, nil, Lint)
	wantFindings(t, rep, "lint", out, "staging/src/example.com/client/lint.go:7:11:")
	if !strings.Contains(out, "required by internal/tools/go.mod (the tools.go pattern)") {
		t.Errorf("the tools.go pin is not used:\n%s", out)
	}
}

func TestLint(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds golangci-lint")
	}
	files := testws.Staging()
	files["go.work"] = "// hackless:exclude ./hack/tools\n\n" + files["go.work"]
	files["hack/tools/go.mod"] = "module example.com/hack/tools\n\ngo " + testws.GoVersion + "\n\ntool github.com/golangci/golangci-lint/v2/cmd/golangci-lint\n\nrequire github.com/golangci/golangci-lint/v2 v2.6.2\n"
	files[".golangci.yml"] = "version: \"2\"\nlinters:\n  default: none\n  enable:\n    - errcheck\n    - misspell\n"
	files["staging/src/example.com/client/lint.go"] = lintDefect
	dir := testws.New(t, files)
	testws.Tidy(t, dir, "hack/tools")

	rep, out := runSteps(t, dir, build.Verify, nil, Lint)
	wantFindings(t, rep, "lint", out,
		"staging/src/example.com/client/lint.go:7:11: Error return value of `os.Remove` is not checked (errcheck)",
		"staging/src/example.com/client/lint.go:5:", "(misspell)",
	)
	// The tool directive's program is built once per machine, named by
	// the go.mod and go.sum that pin it, and started as it is after that.
	pin := sha256.New()
	for _, f := range []string{"hack/tools/go.mod", "hack/tools/go.sum"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		pin.Write(b)
	}
	pin.Write([]byte("github.com/golangci/golangci-lint/v2/cmd/golangci-lint"))
	tools, err := toolsDir()
	if err != nil {
		t.Fatal(err)
	}
	goVersion := fileSafe(strings.TrimSpace(testws.Run(t, dir, "go", "env", "GOVERSION"))) // one program per Go that builds it
	exes, _ := filepath.Glob(filepath.Join(tools, "golangci-lint-"+hex.EncodeToString(pin.Sum(nil))[:16]+"-"+goVersion))
	if len(exes) != 1 {
		t.Fatalf("golangci-lint is not built once into %s: %q", tools, exes)
	}
	built, err := os.Stat(exes[0])
	if err != nil {
		t.Fatal(err)
	}

	runSteps(t, dir, build.Update, nil, Lint)
	b, _ := os.ReadFile(filepath.Join(dir, "staging/src/example.com/client/lint.go"))
	if !strings.Contains(string(b), "we receive") {
		t.Errorf("update did not apply the misspell fix:\n%s", b)
	}
	rep, _ = runSteps(t, dir, build.Verify, nil, Lint)
	if got := findingsOf(rep, "lint"); strings.Contains(got, "misspell") || !strings.Contains(got, "errcheck") {
		t.Errorf("after update only errcheck is left:\n%s", got)
	}

	if fi, err := os.Stat(exes[0]); err != nil || !fi.ModTime().Equal(built.ModTime()) {
		t.Errorf("golangci-lint was built again for a later run")
	}

	// Pinned in a workspace module: the repository's choice, noted.
	testws.Replace(t, dir, "go.work", "// hackless:exclude ./hack/tools\n", "")
	testws.Replace(t, dir, "go.work", ")", "\t./hack/tools\n)")
	rep, out = runSteps(t, dir, build.Verify, nil, Lint)
	if got := findingsOf(rep, "lint"); !strings.Contains(got, "errcheck") || !strings.Contains(out, "golangci-lint is pinned in hack/tools/go.mod, a module go.work uses") {
		t.Errorf("a pin in the build list:\n%s", out)
	}
}

// TestGolangciVersionPin: the golangci-lint version a repository pins
// outside go.mod, in a Makefile variable or in a workflow's
// golangci-lint-action, is found with its place.
func TestGolangciVersionPin(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files testws.Files
		want  string
	}{
		{"makefile", testws.Files{"Makefile": "GO ?= go\nGOLANGCI_LINT_VERSION ?= v2.12.2\n\nlint:\n\tgolangci-lint run\n"}, "Makefile:2 v2.12.2"},
		{"make include", testws.Files{"hack/tools.mk": "export GOLANGCI_VERSION := 1.64.8 # the last v1\n"}, "hack/tools.mk:1 v1.64.8"},
		{"workflow", testws.Files{".github/workflows/lint.yml": "jobs:\n  lint:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: golangci/golangci-lint-action@v8\n        with:\n          version: v2.1.6\n"}, ".github/workflows/lint.yml:7 v2.1.6"},
		{"workflow without a version", testws.Files{".github/workflows/lint.yml": "steps:\n  - uses: golangci/golangci-lint-action@v8\n  - uses: actions/setup-go@v5\n    with:\n      version: 1.2.3\n"}, " "},
		{"none", testws.Files{"Makefile": "lint:\n\tgolangci-lint run\n"}, " "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := testws.Staging()
			maps.Copy(files, tc.files)
			dir := testws.New(t, files)
			var got string
			probe := &build.Step{Name: "probe", Doc: "finds the pin", Run: func(pass *build.Pass) error {
				where, v, err := golangciVersionPin(pass)
				got = where + " " + v
				return err
			}}
			if rep, out := runSteps(t, dir, build.Verify, nil, probe); rep.ExitCode() != build.ExitOK {
				t.Fatal(out)
			}
			if got != tc.want {
				t.Errorf("pin %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLintBatches: a workspace of more modules than one invocation takes
// is linted in batches, and the findings of every batch are reported.
func TestLintBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds golangci-lint")
	}
	defer func(n int) { lintBatch = n }(lintBatch)
	lintBatch = 1
	files := testws.Staging()
	files[".golangci.yaml"] = "version: \"2\"\nlinters:\n  default: none\n  enable:\n    - errcheck\n"
	files["staging/src/example.com/client/lint.go"] = lintDefect
	files["staging/src/example.com/api/lint.go"] = strings.Replace(lintDefect, "package client", "package api", 1)
	dir := testws.New(t, files)
	rep, out := runSteps(t, dir, build.Verify, nil, Lint)
	wantFindings(t, rep, "lint", out, "staging/src/example.com/client/lint.go:7:11:", "staging/src/example.com/api/lint.go:7:11:")
}

// TestLintPerPackage: lint's result is cached package by package, so an
// edit lints the edited package and its importers; a configuration that
// enables dupl, which compares packages with each other, lints them all;
// one that reports only what is new since a revision is never cached.
func TestLintPerPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds golangci-lint")
	}
	t.Parallel()
	files := testws.Staging()
	files[".golangci.yaml"] = "version: \"2\"\nlinters:\n  default: none\n  enable:\n    - errcheck\n"
	dir := testws.New(t, files)
	testws.Git(t, dir)
	cacheDir := t.TempDir()
	run := func() *build.Result {
		t.Helper()
		res, _ := diffRun(t, dir, os.Environ(), cacheDir, []*build.Step{Lint})
		return res["lint"]
	}
	lintCommand := func(r *build.Result) string {
		for line := range strings.Lines(r.Log) {
			if strings.HasPrefix(line, "$ ") && strings.Contains(line, " run ") {
				return strings.TrimSpace(line)
			}
		}
		t.Fatalf("lint ran no golangci-lint:\n%s", r.Log)
		return ""
	}
	if r := run(); r.Status != build.Passed {
		t.Fatalf("the clean workspace fails lint: %v", r.Findings)
	}
	if r := run(); !r.Cached {
		t.Fatalf("nothing changed, yet lint was not cached")
	}
	testws.Write(t, dir, testws.Files{apiDir + "helpers/lint.go": strings.Replace(lintDefect, "package client", "package helpers", 1)})
	r := run()
	if cmd := lintCommand(r); !strings.HasSuffix(cmd, " ./... ./staging/src/example.com/api/helpers") {
		t.Errorf("an edit of api/helpers linted %q; want the root module's ./... and api/helpers alone", cmd)
	}
	if !strings.Contains(findingsOf2(r), apiDir+"helpers/lint.go:7:11:") {
		t.Errorf("the defect in api/helpers was not found: %v", r.Findings)
	}

	testws.Write(t, dir, testws.Files{".golangci.yaml": "version: \"2\"\nlinters:\n  default: none\n  enable:\n    - errcheck\n    - dupl\n"})
	r = run()
	if cmd := lintCommand(r); !strings.Contains(cmd, " ./... ./staging/src/example.com/api/... ./staging/src/example.com/client/...") {
		t.Errorf("with dupl, lint ran %q; want every module", cmd)
	}

	testws.Write(t, dir, testws.Files{
		".golangci.yaml":           "version: \"2\"\nlinters:\n  default: none\n  enable:\n    - errcheck\nissues:\n  new-from-rev: HEAD\n",
		apiDir + "helpers/lint.go": "package helpers\n",
	})
	run()
	if r := run(); r.Cached || !strings.Contains(r.CacheNote, "new since a git revision") {
		t.Errorf("with issues.new-from-rev, lint was cached (%v) or not said why: %q", r.Cached, r.CacheNote)
	}
}

func findingsOf2(r *build.Result) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}
