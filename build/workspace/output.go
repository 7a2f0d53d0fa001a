// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package workspace

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// OutputDir returns the directory where runs under root keep what they
// leave behind (reports, duration history, the private TMPDIR), chosen so
// that a run never changes what `git status` shows:
//   - $HACKLESS_OUTPUT_DIR, when set (made absolute);
//   - root/_output, when git ignores it there or root is not in a git work
//     tree (Kubernetes's convention: build outputs live in _output/);
//   - otherwise _output/ inside the work tree's git directory, which git
//     never lists.
//
// The directory is not created.
func OutputDir(root string) string {
	if d := os.Getenv("HACKLESS_OUTPUT_DIR"); d != "" {
		if abs, err := filepath.Abs(d); err == nil {
			return abs
		}
		return d
	}
	inTree := filepath.Join(root, "_output")
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "GIT_DIR=") && !strings.HasPrefix(kv, "GIT_WORK_TREE=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	// check-ignore exits 0 when the path is ignored, 1 when it is not, and
	// 128 outside a work tree: one process in the common cases.
	_, err := git("check-ignore", "-q", "--no-index", "_output/hackless")
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 1 {
		return inTree
	}
	gitDir, err := git("rev-parse", "--absolute-git-dir")
	if err != nil || gitDir == "" {
		return inTree
	}
	return filepath.Join(gitDir, "_output")
}
