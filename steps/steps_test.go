// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/internal/testws"
)

func runSteps(t *testing.T, dir string, mode build.Mode, env []string, steps ...*build.Step) (*build.Report, string) {
	t.Helper()
	var out bytes.Buffer
	rep, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Mode: mode, Dir: dir, Env: env, Order: UpdateOrder()}, Out: &out}, steps...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep, out.String()
}

func result(rep *build.Report, step string) *build.Result {
	for _, r := range rep.Results {
		if r.Step == step {
			return r
		}
	}
	return nil
}

// TestNothingToCheck runs, on a workspace that configures nothing, every
// step that can have nothing to check: each passes and says so.
func TestNothingToCheck(t *testing.T) {
	files := testws.Staging()
	delete(files, "hackless.yaml") // no YAML file at all
	dir := testws.New(t, files)
	tests := []struct {
		step *build.Step
		note string
	}{
		{Boilerplate, "no templates (boilerplate.<ext>.txt) and no boilerplate.rules in hackless.yaml, and the Go files share no header: nothing to check"},
		{Imports, "no .import-restrictions files: nothing to check"},
		{Codegen, "no //go:generate directives and no hack/codegen.json: nothing to generate"},
		{Lint, "no golangci-lint configuration (.golangci.{yml,yaml,toml,json} at the root, in hack/, tools/, internal/tools/, build/ or .github/, or lint.config in hackless.yaml): nothing to lint"},
		{Vendor, "vendoring is not used: there is no vendor/ directory"},
		{Deps, "no hack/unwanted-dependencies.json: no modules are unwanted"},
		{Licenses, "no LICENSES/ directory, so no database is kept"},
		{GoVersions, "no .go-version: nothing to check"},
		{Aliases, "no hack/.import-aliases: nothing to check"},
		{Shell, "no shell scripts (.sh, .bash): nothing to check"},
		{YAML, "no YAML files: nothing to check"},
		{Vulnerabilities, "not checked: vulnerabilities.db in hackless.yaml names no database"},
		{BOM, "no bill-of-materials.json: nothing to check"},
	}
	for _, tt := range tests {
		t.Run(tt.step.Name, func(t *testing.T) {
			rep, out := runSteps(t, dir, build.Verify, nil, tt.step)
			if r := result(rep, tt.step.Name); r.Status != build.Passed || !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.HasPrefix(n, tt.note) }) {
				t.Errorf("want a pass that says %q:\n%s", tt.note, out)
			}
			if !strings.Contains(out, "    "+tt.note) {
				t.Errorf("the summary does not show %q:\n%s", tt.note, out)
			}
		})
	}
}

// wantFindings checks that the step's findings include each of wants.
func wantFindings(t *testing.T, rep *build.Report, step, out string, wants ...string) {
	t.Helper()
	got := findingsOf(rep, step)
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("no finding %q in:\n%s", w, out)
		}
	}
}

func TestCleanWorkspacePasses(t *testing.T) {
	t.Parallel()
	dir := testws.New(t, testws.Staging())
	testws.Git(t, dir)
	rep, out := runSteps(t, dir, build.Verify, nil, All()...)
	if rep.ExitCode() != build.ExitOK {
		t.Fatalf("verify failed on a clean workspace:\n%s", out)
	}
}

// defects seed one problem per step; fixable says update repairs it.
var defects = []struct {
	step    *build.Step
	files   testws.Files
	edit    func(t *testing.T, dir string)
	wantPos string // the finding's position starts with this
	wantMsg string
	fixable bool
}{
	{
		step:    Gofmt,
		files:   testws.Files{"staging/src/example.com/api/more.go": "package api\n\ntype T struct{ A int }\n\nvar Ts = []T{T{A: 1}}\n\nfunc   F() {}\n"},
		wantPos: "staging/src/example.com/api/more.go:5", wantMsg: "not formatted with gofmt -s", fixable: true,
	},
	{
		step:    Gofmt,
		files:   testws.Files{"staging/src/example.com/api/broken.go": "package api\n\nfunc {\n"},
		wantPos: "staging/src/example.com/api/broken.go:3:6", wantMsg: "syntax error",
	},
	{
		step:    Vet,
		files:   testws.Files{"staging/src/example.com/client/bad.go": "package client\n\nimport \"fmt\"\n\n// Bad misuses Printf.\nfunc Bad() { fmt.Printf(\"%d\\n\", \"x\") }\n"},
		wantPos: "staging/src/example.com/client/bad.go:6:", wantMsg: "fmt.Printf format %d has arg \"x\" of wrong type string (printf)",
	},
	{
		step:    Vet,
		files:   testws.Files{"staging/src/example.com/client/typo.go": "package client\n\n// Typo does not compile.\nfunc Typo() int { return undefinedName }\n"},
		wantPos: "staging/src/example.com/client/typo.go:4:", wantMsg: "undefined: undefinedName",
	},
	{
		step: Tidy,
		edit: func(t *testing.T, dir string) {
			testws.Replace(t, dir, "staging/src/example.com/api/go.mod", "require example.com/client v0.0.0\n", "")
		},
		wantPos: "staging/src/example.com/api/go.mod", wantMsg: "not tidy", fixable: true,
	},
	{
		step:    Workspace,
		files:   testws.Files{"staging/src/example.com/extra/go.mod": "module example.com/extra\n\ngo " + testws.GoVersion + "\n"},
		wantPos: "go.work", wantMsg: "does not use the module in staging/src/example.com/extra", fixable: true,
	},
	{
		step: Workspace,
		edit: func(t *testing.T, dir string) {
			testws.Replace(t, dir, "go.work", ")", "\t./staging/src/example.com/gone\n)")
		},
		wantPos: "go.work:7", wantMsg: "uses ./staging/src/example.com/gone, which has no go.mod", fixable: true,
	},
	{
		step: Workspace,
		edit: func(t *testing.T, dir string) {
			testws.Replace(t, dir, "go.work", "go "+testws.GoVersion+"\n", "go "+testws.GoVersion+"\n\ntoolchain go1.26.8\n")
			testws.Replace(t, dir, "staging/src/example.com/api/go.mod", "go "+testws.GoVersion+"\n", "go "+testws.GoVersion+"\n\ntoolchain go1.26.1\n")
		},
		wantPos: "staging/src/example.com/api/go.mod:5", wantMsg: "toolchain go1.26.1 differs from the workspace toolchain go1.26.8", fixable: true,
	},
}

func TestDefectsCaughtAndFixed(t *testing.T) {
	t.Parallel()
	for i, d := range defects {
		t.Run(fmt.Sprintf("%s/%d", d.step.Name, i), func(t *testing.T) {
			dir := testws.New(t, testws.Staging())
			testws.Write(t, dir, d.files)
			if d.edit != nil {
				d.edit(t, dir)
			}
			rep, out := runSteps(t, dir, build.Verify, nil, d.step)
			r := result(rep, d.step.Name)
			if rep.ExitCode() != build.ExitFailed || r.Status != build.Failed {
				t.Fatalf("verify passed a seeded defect:\n%s", out)
			}
			found := false
			for _, f := range r.Findings {
				if strings.HasPrefix(f.Pos.String(), d.wantPos) && strings.Contains(f.Message, d.wantMsg) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no finding at %s with %q:\n%s", d.wantPos, d.wantMsg, out)
			}
			if !d.fixable {
				return
			}
			if r.Fix != "go tool mage update:"+d.step.Name {
				t.Errorf("fix = %q", r.Fix)
			}
			if rep, out := runSteps(t, dir, build.Update, nil, d.step); rep.ExitCode() != build.ExitOK {
				t.Fatalf("update failed:\n%s", out)
			}
			if rep, out := runSteps(t, dir, build.Verify, nil, All()...); rep.ExitCode() != build.ExitOK {
				t.Fatalf("verify still fails after update:\n%s", out)
			}
		})
	}
}

// TestHermetic runs verify on a workspace with defects twice, with a clean
// and with a polluted caller environment, and wants the same results.
func TestHermetic(t *testing.T) {
	t.Parallel()
	dir := testws.New(t, testws.Staging())
	for _, d := range defects[:4] {
		testws.Write(t, dir, d.files)
	}
	clean := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	polluted := append(clean,
		"GOFLAGS=-mod=vendor -tags=foo",
		"GO111MODULE=off",
		"GOPATH=/nonexistent",
		"GOWORK=off",
		"GOOS=windows",
		"GOARCH=arm64",
		"CGO_ENABLED=0",
		"GOEXPERIMENT=boringcrypto",
		"LC_ALL=de_DE.UTF-8",
		"TZ=Pacific/Kiritimati",
	)
	summarize := func(rep *build.Report) []string {
		var s []string
		for _, r := range rep.Results {
			s = append(s, r.Step+" "+string(r.Status)+" "+r.Reason)
			for _, f := range r.Findings {
				s = append(s, "  "+f.String()+"\n"+f.Diff)
			}
		}
		return s
	}
	repClean, outClean := runSteps(t, dir, build.Verify, clean, All()...)
	repPolluted, outPolluted := runSteps(t, dir, build.Verify, polluted, All()...)
	if a, b := summarize(repClean), summarize(repPolluted); !reflect.DeepEqual(a, b) {
		t.Errorf("results differ:\nclean:\n%s\npolluted:\n%s", outClean, outPolluted)
	}
	if repClean.ExitCode() != build.ExitFailed || len(summarize(repClean)) < 6 {
		t.Errorf("the seeded defects were not all found:\n%s", outClean)
	}
}

func TestWorkspaceExcludeComment(t *testing.T) {
	files := testws.Staging()
	files["hack/tools/go.mod"] = "module example.com/tools\n\ngo " + testws.GoVersion + "\n"
	files["go.work"] = "// Tools stay out of the build list.\n// hackless:exclude ./hack/tools\n\n" + files["go.work"]
	dir := testws.New(t, files)
	if rep, out := runSteps(t, dir, build.Verify, nil, Workspace); rep.ExitCode() != build.ExitOK {
		t.Fatalf("excluded module reported:\n%s", out)
	}
	// Using it anyway is stale.
	testws.Replace(t, dir, "go.work", ")", "\t./hack/tools\n)")
	rep, out := runSteps(t, dir, build.Update, nil, Workspace)
	if rep.ExitCode() != build.ExitOK {
		t.Fatalf("update failed:\n%s", out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "go.work"))
	if strings.Contains(string(b), "\t./hack/tools") || !strings.Contains(string(b), "// hackless:exclude ./hack/tools") {
		t.Errorf("go.work after update:\n%s", b)
	}
}

func TestWorkspaceGoLine(t *testing.T) {
	files := testws.Staging()
	files["staging/src/example.com/api/go.mod"] = strings.Replace(files["staging/src/example.com/api/go.mod"], "go "+testws.GoVersion, "go 1.26.5", 1)
	dir := testws.New(t, files)
	rep, out := runSteps(t, dir, build.Verify, nil, Workspace)
	if r := rep.Results[0]; r.Status != build.Failed || !strings.Contains(out, "go.work:1: go "+testws.GoVersion+" is older than a module's go 1.26.5") {
		t.Fatalf("verify:\n%s", out)
	}
	runSteps(t, dir, build.Update, nil, Workspace)
	b, _ := os.ReadFile(filepath.Join(dir, "go.work"))
	if !strings.HasPrefix(string(b), "go 1.26.5\n") {
		t.Errorf("go.work after update:\n%s", b)
	}
}
