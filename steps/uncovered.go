// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/workspace"
)

// uncoveredTools are checks repositories configure that no built-in step
// runs, by the base names of their configuration files.
var uncoveredTools = []struct {
	tool  string
	files []string
}{
	{"gomodguard", []string{".gomodguard.yaml", ".gomodguard.yml"}},
	{"staticcheck", []string{"staticcheck.conf"}},
	{"revive", []string{"revive.toml", ".revive.toml"}},
	{"yamllint", []string{".yamllint", ".yamllint.yaml", ".yamllint.yml"}},
	{"markdownlint", []string{".markdownlint.json", ".markdownlint.yaml", ".markdownlint.yml", ".markdownlint-cli2.yaml"}},
	{"buf lint", []string{"buf.yaml"}},
	{"pre-commit", []string{".pre-commit-config.yaml"}},
}

// Uncovered names the checks the repository configures that no step of
// run covers, so that a first verify never passes as if it had checked
// them: "not covered: gomodguard (.gomodguard.yaml ×7); run it through
// scripts or a Make target". A step whose name or command names the tool
// (a script step running hack/verify-gomodguard.sh) covers it.
func Uncovered(ws *workspace.Workspace, run []*build.Step) []string {
	files, err := ws.AllFiles(context.Background())
	if err != nil {
		return nil
	}
	var out []string
	for _, u := range uncoveredTools {
		var found []string
		for _, f := range files {
			if slices.Contains(u.files, path.Base(f)) && !strings.Contains("/"+f, "/vendor/") && !strings.Contains("/"+f, "/testdata/") {
				found = append(found, f)
			}
		}
		if len(found) == 0 || coveredBy(run, strings.Fields(u.tool)[0]) {
			continue
		}
		where := found[0]
		if len(found) > 1 {
			where = fmt.Sprintf("%s ×%d", path.Base(found[0]), len(found))
		}
		out = append(out, fmt.Sprintf("not covered: %s (%s); no step checks it: run it through scripts or a Make target in hackless.yaml", u.tool, where))
	}
	return out
}

// coveredBy reports whether a step of run names tool, in its name, its
// documentation or the command it runs.
func coveredBy(run []*build.Step, tool string) bool {
	return slices.ContainsFunc(run, func(s *build.Step) bool {
		return strings.Contains(s.Name, tool) || strings.Contains(s.Doc, tool)
	})
}
