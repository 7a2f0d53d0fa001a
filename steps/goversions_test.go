// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

func TestGoVersions(t *testing.T) {
	files := testws.Staging()
	dir := testws.New(t, files)
	rep, out := runSteps(t, dir, build.Verify, nil, GoVersions)
	if r := result(rep, "goversions"); r.Status != build.Passed || !strings.Contains(out, "no .go-version: nothing to check") {
		t.Fatalf("without .go-version:\n%s", out)
	}

	const api = "staging/src/example.com/api/go.mod"
	testws.Write(t, dir, testws.Files{
		GoVersionFile: "1.25.3\n",
		".github/workflows/ci.yml": "jobs:\n  test:\n    steps:\n      - uses: actions/setup-go@v5\n        with:\n          go-version: \"1.24.1\" # pinned\n" +
			"      - uses: actions/setup-go@v5\n        with:\n          go-version: ${{ matrix.go }}\n" +
			"      - uses: actions/setup-go@v5\n        with:\n          go-version: '1.25.3'\n",
		"build/Dockerfile":                      "FROM --platform=$BUILDPLATFORM golang:1.24-alpine AS build\nRUN go build ./...\nFROM gcr.io/distroless/static\n",
		"tools/x.Dockerfile":                    "FROM docker.io/library/golang:1.24.0@sha256:0123 AS b\n",
		api:                                     strings.Replace(files[api], "go "+testws.GoVersion+"\n", "go "+testws.GoVersion+"\n\ntoolchain go1.24.0\n", 1),
		"staging/src/example.com/client/go.mod": strings.Replace(files["staging/src/example.com/client/go.mod"], "go "+testws.GoVersion, "go 1.26.0", 1),
	})
	rep, out = runSteps(t, dir, build.Verify, nil, GoVersions)
	wantFindings(t, rep, "goversions", out,
		api+":5: toolchain go1.24.0 is not .go-version's go1.25.3",
		"staging/src/example.com/client/go.mod:3: go 1.26.0 asks for a newer Go than .go-version's 1.25.3",
		".github/workflows/ci.yml:6: go-version 1.24.1 is not .go-version's 1.25.3",
		"build/Dockerfile:1: the golang image 1.24 is not .go-version's 1.25.3",
		"tools/x.Dockerfile:1: the golang image 1.24.0 is not .go-version's 1.25.3")
	if n := len(result(rep, "goversions").Findings); n != 5 {
		t.Errorf("%d findings, want 5:\n%s", n, out)
	}

	rep, out = runSteps(t, dir, build.Update, nil, GoVersions)
	for rel, want := range map[string]string{
		".github/workflows/ci.yml": "          go-version: \"1.25.3\" # pinned\n",
		"build/Dockerfile":         "FROM --platform=$BUILDPLATFORM golang:1.25.3-alpine AS build\n",
		api:                        "toolchain go1.25.3\n",
		"tools/x.Dockerfile":       "golang:1.24.0@sha256:0123", // needs a person
	} {
		if b, _ := os.ReadFile(filepath.Join(dir, rel)); !strings.Contains(string(b), want) {
			t.Errorf("%s after update lacks %q:\n%s\n%s", rel, want, b, out)
		}
	}
	rep, out = runSteps(t, dir, build.Verify, nil, GoVersions)
	if n := len(result(rep, "goversions").Findings); n != 2 {
		t.Errorf("after update, %d findings, want the 2 that need a person:\n%s", n, out)
	}

	testws.Write(t, dir, testws.Files{GoVersionFile: "latest\n"})
	if rep, out := runSteps(t, dir, build.Verify, nil, GoVersions); rep.ExitCode() != build.ExitUsage {
		t.Errorf("a .go-version that names no release: exit %d, want %d:\n%s", rep.ExitCode(), build.ExitUsage, out)
	}
}
