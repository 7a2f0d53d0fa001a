// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/internal/testws"
)

// makeRepo is a Make-based repository: make verify runs its own checks
// (gofmt, a grep rule, a header check), each a target with its pair.
const makeRepoMakefile = `GO ?= go
VERIFY_TARGETS = verify-gofmt verify-nofixme verify-header

.PHONY: verify $(VERIFY_TARGETS) update-gofmt

verify: $(VERIFY_TARGETS)

verify-gofmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then for f in $$out; do echo "$$f:1: not gofmt'ed"; done; exit 1; fi

update-gofmt:
	gofmt -w $$(git ls-files '*.go')

verify-nofixme:
	@! grep -n FIXME $$(git ls-files '*.go')

verify-header:
	@for f in $$(git ls-files '*.go'); do head -1 $$f | grep -q 'Copyright' || { echo "ERROR: $$f has no header"; exit 1; }; done
`

func makeRepo(t *testing.T) string {
	files := testws.Staging()
	for f, c := range files {
		if strings.HasSuffix(f, ".go") {
			files[f] = "// Copyright The Example Authors.\n\n" + c
		}
	}
	files["Makefile"] = makeRepoMakefile
	dir := testws.New(t, files)
	testws.Git(t, dir)
	return dir
}

// TestMakeTargets: Make targets run as steps as make runs them: green
// where make verify is green, each seeded defect failing its own target
// with its file, and update running the paired target.
func TestMakeTargets(t *testing.T) {
	dir := makeRepo(t)
	cfg := config.Make{Targets: []config.MakeTarget{{Target: "verify-gofmt"}, {Target: "verify-nofixme"}, {Target: "verify-header"}}}
	steps := MakeSteps(dir, cfg)
	if len(steps) != 3 || !steps[0].Fixable() || steps[1].Fixable() {
		t.Fatalf("steps: %d, the first fixable %v (update-gofmt), the second %v", len(steps), steps[0].Fixable(), steps[1].Fixable())
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, steps...); rep.ExitCode() != build.ExitOK {
		t.Fatalf("a clean repository:\n%s", out)
	}
	testws.Write(t, dir, testws.Files{
		apiDir + "ugly.go":   "// Copyright The Example Authors.\n\npackage api\n\nfunc   Ugly() {}\n",
		clientDir + "fix.go": "// Copyright The Example Authors.\n\npackage client\n\n// FIXME: later.\n",
		apiDir + "nohdr.go":  "package api\n",
	})
	testws.Run(t, dir, "git", "add", "-A") // the Makefile lists files with git
	rep, out := runSteps(t, dir, build.Verify, nil, steps...)
	wantFindings(t, rep, "make-verify-gofmt", out, apiDir+"ugly.go:1: make verify-gofmt: not gofmt'ed")
	wantFindings(t, rep, "make-verify-nofixme", out, clientDir+"fix.go:5: make verify-nofixme: // FIXME: later.")
	wantFindings(t, rep, "make-verify-header", out, "Makefile: "+apiDir+"nohdr.go has no header")
	if !strings.Contains(out, "fix: go tool mage update:make-verify-gofmt") || strings.Contains(out, "fix: go tool mage update:make-verify-nofixme") {
		t.Errorf("no fix hint for the paired target:\n%s", out)
	}
	if rep, out := runSteps(t, dir, build.Update, nil, steps[0]); rep.ExitCode() != build.ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, apiDir+"ugly.go")); !strings.Contains(string(b), "func Ugly() {}") {
		t.Errorf("update-gofmt did not run:\n%s", b)
	}
}

// TestPairedTarget: the target that fixes is found by name.
func TestPairedTarget(t *testing.T) {
	targets := []string{"verify", "verify-gofmt", "update-gofmt", "verify-gen", "generate", "check-lint", "fix-lint", "verify-modules", "tidy"}
	for target, want := range map[string]string{"verify-gofmt": "update-gofmt", "verify-gen": "generate", "check-lint": "fix-lint", "verify-modules": "tidy", "verify-other": ""} {
		if got := pairedTarget(target, targets); got != want {
			t.Errorf("pairedTarget(%s) = %q, want %q", target, got, want)
		}
	}
}

// TestShadow: a built-in step in shadow beside the repository's own
// check never fails the run; the report says whether the two agreed, and
// a disagreement names the files on each side.
func TestShadow(t *testing.T) {
	dir := makeRepo(t)
	own := MakeSteps(dir, config.Make{Targets: []config.MakeTarget{{Target: "verify-gofmt"}}})[0]
	run := func() (*build.Report, string) {
		var out bytes.Buffer
		rep, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Mode: build.Verify, Dir: dir, Order: append(UpdateOrder(), own.Name), Shadow: map[string]string{"gofmt": own.Name}}, Out: &out}, Gofmt, own)
		if err != nil {
			t.Fatal(err)
		}
		return rep, out.String()
	}
	rep, out := run()
	if rep.ExitCode() != build.ExitOK || len(rep.Shadow) != 1 || rep.Shadow[0].Verdict != "both pass" {
		t.Fatalf("a clean repository: %+v\n%s", rep.Shadow, out)
	}
	// Both catch an unformatted file: they agree, and only the own check
	// fails the run.
	testws.Write(t, dir, testws.Files{apiDir + "ugly.go": "// Copyright The Example Authors.\n\npackage api\n\nfunc   Ugly() {}\n"})
	testws.Run(t, dir, "git", "add", "-A")
	rep, out = run()
	if rep.ExitCode() != build.ExitFailed || result(rep, "gofmt").Status != build.Passed || rep.Shadow[0].Verdict != "both fail on the same files" {
		t.Errorf("both fail: %+v\n%s", rep.Shadow, out)
	}
	// A file gofmt leaves but gofmt -s simplifies: the Makefile's check
	// (gofmt -l) passes it, the built-in step (gofmt -s) does not: a
	// disagreement.
	testws.Write(t, dir, testws.Files{apiDir + "ugly.go": "// Copyright The Example Authors.\n\npackage api\n\n// T is a t.\ntype T struct{ A int }\n\n// X is simplifiable.\nvar X = []T{T{A: 1}}\n"})
	testws.Run(t, dir, "git", "add", "-A")
	rep, out = run()
	if rep.ExitCode() != build.ExitOK || rep.Shadow[0].Verdict != "disagree" || !strings.Contains(out, "shadow: gofmt beside make-verify-gofmt: disagree (gofmt: "+apiDir+"ugly.go; make-verify-gofmt: no files)") {
		t.Errorf("a disagreement:\n%s", out)
	}
}
