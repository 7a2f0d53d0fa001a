// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"fmt"
	"slices"

	"github.com/hackless/hackless/build"
)

// DefaultMaxFileSize is the size a file of the tree may reach unless
// filesizes.max in hackless.yaml says otherwise: 1 MiB.
const DefaultMaxFileSize = 1 << 20

// FileSizes checks that no file of the tree is larger than a limit, as
// Kubernetes's verify-file-sizes does, so that a large file is added on
// purpose or not at all. The files are those git tracks (and the
// untracked ones it does not ignore), without vendor, testdata and
// hidden directories. The limit is filesizes.max of hackless.yaml, in
// bytes, 1 MiB by default; filesizes.allow lists path globs of files
// that may be larger (a generated API specification). There is no update
// form: a person decides whether a large file belongs in the tree.
var FileSizes = &build.Step{
	Name:   "filesizes",
	Doc:    "no file of the tree is larger than the limit",
	Inputs: build.Inputs{Files: []string{"**/*"}},
	Run:    runFileSizes,
}

func runFileSizes(pass *build.Pass) error {
	cfg := pass.Config().FileSizes
	limit := int64(cfg.Max)
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	files, err := pass.Workspace.Files(pass.Context())
	if err != nil {
		return err
	}
	allowed := 0
	for _, f := range files {
		// The content keys the cache (Inputs): a stat is enough here.
		fi, err := pass.Stat(f)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() <= limit {
			continue
		}
		if slices.ContainsFunc(cfg.Allow, func(g string) bool { return build.MatchGlob(g, f) }) {
			allowed++
			continue
		}
		pass.Report(build.Finding{
			Pos:     build.Position{File: f, Line: 1},
			Message: fmt.Sprintf("%s is larger than the limit of %s", size(fi.Size()), size(limit)),
			Detail:  "hint: keep it out of the tree, or allow it: filesizes.allow in hackless.yaml (a path glob)",
		})
	}
	pass.Notef("%d files checked against %s", len(files), size(limit))
	if allowed > 0 {
		pass.Notef("%d larger files are allowed by filesizes.allow", allowed)
	}
	return nil
}

// size writes a byte count for people: 1.5 MiB, 800 KiB, 12 bytes.
func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
