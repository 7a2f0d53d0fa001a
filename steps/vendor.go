// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hackless/hackless/build"
)

// Vendor checks, for a workspace that vendors, that vendor/ holds exactly
// what `go work vendor` writes: it vendors into a scratch directory and
// compares, so the work tree is never touched. Update replaces vendor/ with
// the fresh tree. A workspace without vendor/ passes: vendoring is not
// used.
var Vendor = &build.Step{
	Name:   "vendor",
	Doc:    "vendor/ matches go work vendor",
	Inputs: build.Inputs{Files: append([]string{"**/*.go", "vendor/**"}, goModFiles...), Tools: []build.Tool{build.GoCommand}, Go: true},
	Writes: []string{"vendor/"},
	Run:    runVendor,
}

func runVendor(pass *build.Pass) error {
	if _, err := pass.Stat("vendor"); errors.Is(err, fs.ErrNotExist) {
		pass.Notef("vendoring is not used: there is no vendor/ directory")
		return nil
	}
	tmp, err := os.MkdirTemp(pass.Env.TempDir(), "vendor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fresh := filepath.Join(tmp, "vendor")
	if _, err := pass.Output(pass.Command(".", "go", "work", "vendor", "-o", fresh)); err != nil {
		return reportGoError(pass, "go work vendor", "", err, build.Position{File: "go.work", Line: 1})
	}
	return pass.ProposeTree("vendor", fresh, "vendor/ is stale")
}
