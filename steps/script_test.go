// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/internal/testws"
)

// scriptRepo is a repository with Kubernetes-style hack scripts: one that
// passes, a verify/update pair that regenerates in place and diffs, one
// that uses git worktree and history, and one that fails with ERROR: and
// file:line: lines.
func scriptRepo(t *testing.T) string {
	files := testws.Files{
		"go.mod":             "module example.com/m\n\ngo " + testws.GoVersion + "\n",
		"go.work":            "go " + testws.GoVersion + "\n\nuse .\n",
		"m.go":               "package m\n\nfunc F() {}\n",
		"gen.txt":            "v1\n",
		"hack/verify-ok.sh":  "#!/usr/bin/env bash\nset -euo pipefail\ncd \"$(dirname \"$0\")/..\"\ntest -f go.work\ngo version >/dev/null\necho fine\n",
		"hack/update-gen.sh": "#!/usr/bin/env bash\nset -euo pipefail\ncd \"$(dirname \"$0\")/..\"\necho v2 > gen.txt\nrm -f old.txt\n",
		"hack/verify-gen.sh": "#!/usr/bin/env bash\nset -euo pipefail\ncd \"$(dirname \"$0\")/..\"\nhack/update-gen.sh\n" +
			"if ! git diff --quiet HEAD; then\n  echo \"ERROR: gen.txt is out of date; run hack/update-gen.sh\"\n  exit 1\nfi\n",
		"hack/verify-worktree.sh": "#!/usr/bin/env bash\nset -euo pipefail\ncd \"$(dirname \"$0\")/..\"\n" +
			"git rev-parse -q --verify HEAD~1 >/dev/null\n" + // the real history is there
			"tmp=$(mktemp -d)\ngit worktree add -q \"$tmp/wt\" HEAD\ntest -f \"$tmp/wt/m.go\"\ngit worktree remove --force \"$tmp/wt\"\n",
		"hack/verify-bad.sh": "#!/bin/sh\necho 'checking…'\necho 'm.go:3: F has no doc comment'\necho 'ERROR: the policy is broken'\nexit 3\n",
		"old.txt":            "stale\n",
	}
	dir := testws.New(t, files)
	for name := range files {
		if strings.HasSuffix(name, ".sh") {
			os.Chmod(filepath.Join(dir, name), 0o755)
		}
	}
	testws.Git(t, dir)
	return dir
}

func TestScriptSteps(t *testing.T) {
	dir := scriptRepo(t)
	all, err := ScriptSteps(dir, config.Scripts{Discover: config.Strings{"hack"}, Exclude: []string{"verify-ok*"}, Steps: []config.Script{{Name: "ok", Verify: "hack/verify-ok.sh"}}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range all {
		names = append(names, s.Name)
	}
	if got, want := strings.Join(names, " "), "ok hack-bad hack-gen hack-worktree"; got != want {
		t.Fatalf("steps = %s, want %s", got, want)
	}
	status := testws.Run(t, dir, "git", "status", "--porcelain")
	// An uncommitted edit is what the scripts see.
	os.WriteFile(filepath.Join(dir, "m.go"), []byte("package m\n\n// F does nothing.\nfunc F() {}\n"), 0o644)
	status2 := testws.Run(t, dir, "git", "status", "--porcelain")

	rep, out := runSteps(t, dir, build.Verify, nil, all...)
	want := map[string]build.Status{"ok": build.Passed, "hack-bad": build.Failed, "hack-gen": build.Failed, "hack-worktree": build.Passed}
	for name, st := range want {
		if r := result(rep, name); r == nil || r.Status != st {
			t.Errorf("%s: want %s:\n%s", name, st, out)
		}
	}
	var bad []string
	for _, f := range result(rep, "hack-bad").Findings {
		bad = append(bad, f.String())
	}
	if want := []string{"m.go:3: hack/verify-bad.sh: F has no doc comment", "hack/verify-bad.sh: the policy is broken"}; !slices.Equal(bad, want) {
		t.Errorf("hack-bad findings:\n%s\nwant:\n%s", strings.Join(bad, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(out, "fix: go tool mage update:hack-gen") { // targets makes it update -what=hack-gen
		t.Errorf("no fix hint for hack-gen:\n%s", out)
	}
	if got := testws.Run(t, dir, "git", "status", "--porcelain"); got != status2 || status == status2 {
		t.Errorf("verify changed git status:\n%s\nwant:\n%s", got, status2)
	}

	// Update writes what update-gen.sh changed in its copy: gen.txt, and
	// old.txt removed; then verify passes.
	rep, out = runSteps(t, dir, build.Update, nil, all...)
	if r := result(rep, "hack-gen"); r.Status != build.Passed || len(r.Changed) != 2 {
		t.Fatalf("update:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "gen.txt")); string(b) != "v2\n" {
		t.Errorf("gen.txt = %q after update", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "old.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old.txt is still there after update")
	}
	rep, out = runSteps(t, dir, build.Verify, nil, all[2])
	if rep.ExitCode() != build.ExitOK {
		t.Errorf("verify after update:\n%s", out)
	}
}

// TestScriptValidation: a script that cannot run stops the run before any
// step starts, as a usage error.
func TestScriptValidation(t *testing.T) {
	dir := scriptRepo(t)
	os.WriteFile(filepath.Join(dir, "hack/verify-noexec.sh"), []byte("#!/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "hack/verify-nointerp.sh"), []byte("#!/usr/bin/env no-such-shell\n"), 0o755)
	tests := []struct {
		script Script
		want   string
	}{
		{Script{Name: "missing", Verify: "hack/verify-missing.sh"}, "hack/verify-missing.sh: no such script"},
		{Script{Name: "noexec", Verify: "hack/verify-noexec.sh"}, "chmod +x hack/verify-noexec.sh"},
		{Script{Name: "nointerp", Update: "hack/verify-nointerp.sh"}, "needs no-such-shell"},
	}
	for _, tt := range tests {
		t.Run(tt.script.Name, func(t *testing.T) {
			_, err := build.Run(context.Background(), build.Options{Dir: dir}, tt.script.Step())
			var usage *build.UsageError
			if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a usage error that says %q", err, tt.want)
			}
		})
	}
	if _, err := ScriptSteps(dir, config.Scripts{Discover: config.Strings{"scripts"}}); err == nil {
		t.Error("a discovery directory that does not exist is no error")
	}
}
