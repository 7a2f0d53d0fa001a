// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"path"
	"strings"

	"github.com/hackless/hackless/build"
)

// Download fetches every module the workspace needs into the module cache,
// verified against go.sum (the modern `godep restore`), so that every other
// step can then run with the network off (GOPROXY=off). It covers the
// workspace's build list and, module by module, each go.mod in the tree,
// including modules kept out of go.work such as a tools module, whose
// pinned tools are part of its build list.
var Download = &build.Step{
	Name:   "download",
	Doc:    "every needed module is in the module cache, verified against go.sum",
	Inputs: build.Inputs{Files: goModFiles, Tools: []build.Tool{build.GoCommand}},
	// Its work is filling the module cache, which no key describes.
	Uncached: true,
	Run:      runDownload,
}

func runDownload(pass *build.Pass) error {
	if _, err := pass.Output(pass.Command(".", "go", "mod", "download")); err != nil {
		if err := reportGoError(pass, "go mod download", "", err, build.Position{File: "go.work", Line: 1}); err != nil {
			return err
		}
	}
	dirs, err := pass.Workspace.ModuleDirs(pass.Context())
	if err != nil {
		return err
	}
	for _, d := range dirs {
		for _, args := range [][]string{{"mod", "download"}, {"mod", "verify"}} {
			cmd := pass.Command(d, "go", args...)
			cmd.Env = append(cmd.Env, "GOWORK=off")
			if _, err := pass.Output(cmd); err != nil {
				if err := reportGoError(pass, "go "+strings.Join(args, " "), d, err, build.Position{File: path.Join(d, "go.mod"), Line: 1}); err != nil {
					return err
				}
			}
		}
	}
	pass.Notef("%d modules' requirements are in the module cache", len(dirs))
	return nil
}
