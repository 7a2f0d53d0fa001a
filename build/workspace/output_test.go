// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package workspace

import (
	"path/filepath"
	"testing"

	"github.com/hackless/hackless/internal/testws"
)

func TestOutputDir(t *testing.T) {
	t.Setenv("HACKLESS_OUTPUT_DIR", "")
	for _, tc := range []struct {
		name      string
		files     testws.Files
		git       bool
		wantInGit bool
	}{
		{name: "not a git tree", files: testws.Files{"go.mod": "module m\n"}},
		{name: "git ignores _output", files: testws.Files{"go.mod": "module m\n", ".gitignore": "/_output/\n"}, git: true},
		{name: "git does not ignore _output", files: testws.Files{"go.mod": "module m\n"}, git: true, wantInGit: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := testws.New(t, tc.files)
			if tc.git {
				testws.Git(t, dir)
			}
			want := filepath.Join(dir, "_output")
			if tc.wantInGit {
				want = filepath.Join(dir, ".git", "_output")
			}
			if got := OutputDir(dir); got != want {
				t.Errorf("OutputDir = %s, want %s", got, want)
			}
		})
	}
	t.Setenv("HACKLESS_OUTPUT_DIR", "/elsewhere/out")
	if got := OutputDir(t.TempDir()); got != "/elsewhere/out" {
		t.Errorf("with HACKLESS_OUTPUT_DIR: %s", got)
	}
}
