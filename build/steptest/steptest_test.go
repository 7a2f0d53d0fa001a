// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steptest_test

import (
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/steptest"
)

// owners is the README's step of an adopter's own, with an update form.
var owners = &build.Step{
	Name:   "owners",
	Doc:    "every OWNERS file names approvers",
	Inputs: build.Inputs{Files: []string{"**/OWNERS"}},
	Writes: []string{"OWNERS"},
	Run: func(pass *build.Pass) error {
		files, err := pass.InputFiles()
		if err != nil {
			return err
		}
		for _, f := range files {
			b, err := pass.ReadFile(f)
			if err != nil {
				return err
			}
			if !strings.Contains(string(b), "approvers:") {
				pass.ReportFixable(build.Finding{Pos: build.Position{File: f, Line: 1}, Message: "no approvers"})
				if err := pass.Propose(f, append(b, "approvers: [root]\n"...), "no approvers"); err != nil {
					return err
				}
			}
		}
		return nil
	},
}

func TestOwners(t *testing.T) {
	dir := steptest.Workspace(t, steptest.Files{
		"api/OWNERS":    "reviewers: [a]\n",
		"client/OWNERS": "approvers: [b]\n",
	})
	steptest.Git(t, dir)
	rep := steptest.Run(t, dir, build.Verify, owners)
	steptest.WantFindings(t, rep, "owners", "api/OWNERS:1: no approvers")
	if steptest.Passed(rep) {
		t.Error("a run with a finding passed")
	}

	rep = steptest.Run(t, dir, build.Update, owners)
	steptest.WantFile(t, dir, "api/OWNERS", "reviewers: [a]\napprovers: [root]\n")
	if rep = steptest.Run(t, dir, build.Verify, owners); !steptest.Passed(rep) {
		t.Errorf("verify after update: %v", steptest.Findings(rep, "owners"))
	}
}
