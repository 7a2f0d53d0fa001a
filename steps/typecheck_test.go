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

// TestTypecheckBrokenGraphOnce: a module graph that does not load is
// gone through module by module on one platform, not on each: the other
// modules are still checked there, and the error is reported once.
func TestTypecheckBrokenGraphOnce(t *testing.T) {
	t.Parallel()
	files := testws.Files{
		"go.work":       "go " + testws.GoVersion + "\n\nuse (\n\t./a\n\t./b\n\t./c\n)\n",
		"hackless.yaml": "typecheck:\n  platforms: [linux/amd64, windows/amd64, darwin/arm64]\n",
		"c/go.mod":      "module example.com/c\n\ngo 1.99\n",
		"c/c.go":        "// Package c is c.\npackage c\n",
	}
	for _, m := range []string{"a", "b"} {
		files[m+"/go.mod"] = "module example.com/" + m + "\n\ngo " + testws.GoVersion + "\n"
	}
	files["a/a.go"] = "// Package a is a.\npackage a\n"
	files["b/b.go"] = "// Package b is b.\npackage b\n"
	dir := testws.New(t, files)
	rep, out := runSteps(t, dir, build.Verify, nil, Typecheck)
	wantFindings(t, rep, "typecheck", out, "requires go >= 1.99")
	vets := 0
	for _, c := range result(rep, "typecheck").Commands {
		if strings.Contains(c, "go vet") {
			vets++
		}
	}
	// Three workspace runs (one per platform), then on one platform each
	// module in the workspace and on its own (GOWORK=off); on each
	// platform that would be 21.
	if vets > 9 {
		t.Errorf("%d go vet runs; want at most 9 (module by module on one platform only):\n%s", vets, strings.Join(result(rep, "typecheck").Commands, "\n"))
	}
}
