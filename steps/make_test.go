// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/config"
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
