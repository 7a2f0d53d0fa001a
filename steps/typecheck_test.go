// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

// TestTypecheck: a file that only builds on windows breaks only there,
// one that breaks everywhere says so, and the platform list of
// hackless.yaml decides what is checked. (Two platforms, not the four
// defaults: each cold platform compiles the standard library's export
// data once.)
func TestTypecheck(t *testing.T) {
	t.Parallel()
	dir := testws.New(t, testws.Staging())
	testws.Write(t, dir, testws.Files{"hackless.yaml": "typecheck:\n  platforms: [linux/amd64, windows/amd64]\n"})
	if rep, out := runSteps(t, dir, build.Verify, nil, Typecheck); rep.ExitCode() != build.ExitOK {
		t.Fatalf("clean workspace:\n%s", out)
	}
	const client = "staging/src/example.com/client/"
	testws.Write(t, dir, testws.Files{
		api + "path_windows.go":      "//go:build windows\n\npackage api\n\n// Sep is the path separator.\nvar Sep int = \"\\\\\"\n",
		api + "path_other.go":        "//go:build !windows\n\npackage api\n\n// Sep is the path separator.\nvar Sep = \"/\"\n",
		client + "util/util_test.go": "package util\n\nimport \"testing\"\n\nfunc TestBroken(t *testing.T) { var n int = \"x\"; _ = n }\n",
	})
	rep, out := runSteps(t, dir, build.Verify, nil, Typecheck)
	wantFindings(t, rep, "typecheck", out,
		api+"path_windows.go:6:15: cannot use", "(on windows/amd64)",
		client+"util/util_test.go:5:45: cannot use", "(on every platform)")
	if got := findingsOf(rep, "typecheck"); strings.Contains(got, "path_other.go") || strings.Count(got, "path_windows.go") != 1 {
		t.Errorf("want one finding for path_windows.go, none for path_other.go:\n%s", out)
	}

	testws.Write(t, dir, testws.Files{"hackless.yaml": "typecheck:\n  platforms: [linux/amd64]\n"})
	testws.Replace(t, dir, client+"util/util_test.go", `var n int = "x"`, `var n = "x"`)
	if rep, out := runSteps(t, dir, build.Verify, nil, Typecheck); rep.ExitCode() != build.ExitOK {
		t.Fatalf("without windows:\n%s", out)
	}
}
