// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzVetJSON: no object go vet -json prints makes addVetObject panic;
// every diagnostic becomes a finding or an error.
func FuzzVetJSON(f *testing.F) {
	for _, s := range []string{
		`{"example.com/a": {"printf": [{"posn": "/ws/a/a.go:6:14", "message": "fmt.Sprintf format %d has arg \"x\" of wrong type string"}]}}`,
		`{"example.com/a": {"copylocks": {"error": "analysis failed"}}}`,
		`{"example.com/a": {}}`,
		`{"p": {"x": [{"posn": "", "message": ""}]}}`,
		`[]`,
	} {
		f.Add(s)
	}
	rel := func(p string) string { return strings.TrimPrefix(p, "/ws/") }
	f.Fuzz(func(t *testing.T, data string) {
		var out vetOutcome
		addVetObject([]byte(data), rel, &out)
	})
}

// FuzzScriptOutput: no line a script prints makes the parsing of its
// output panic: a file:line: place, an ERROR: line, or nothing.
func FuzzScriptOutput(f *testing.F) {
	for _, s := range []string{
		"hack/x.go:3:4: bad thing",
		"./a/b.go:10: not formatted",
		"ERROR: something is wrong",
		"!!! [0101 12:00:00] failed",
		"FAILED: verify-x",
		"plain output",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if m := scriptFileLine.FindStringSubmatch(line); m != nil {
			atoi(m[2])
			atoi(m[3])
		}
		scriptError.FindStringSubmatch(line)
		parsePos(line, func(p string) string { return p })
	})
}

// FuzzBoilerplate: no template or file makes the header checks panic.
func FuzzBoilerplate(f *testing.F) {
	for _, s := range []string{
		"/*\nCopyright YEAR The Authors.\n*/\n",
		"# syntax=docker/dockerfile:1.4\n# Copyright YEAR The Authors.\n",
		"// Copyright YEAR The Authors.\n",
		"#!/bin/sh\n# Copyright 2020 The Authors.\n\necho\n",
		"//go:build linux\n\n// Copyright The Authors.\n\npackage x\n",
	} {
		f.Add("go", s)
		f.Add("Dockerfile", s)
		f.Add("sh", s)
	}
	f.Fuzz(func(t *testing.T, key, data string) {
		notAComment(key, []byte(data))
		if n := prefixLen(key, []byte(data)); n < 0 || n > len(data) {
			t.Errorf("prefixLen(%q, %q) = %d, outside the file", key, data, n)
		}
		hasOtherHeader([]byte(data))
		copyrightLine([]byte(data))
	})
}

// FuzzBuiltEverywhere: a directory builtEverywhere says every platform
// builds is one the go command's file rules (go/build) build on each
// platform typecheck checks by default, cgo off: a wrong "yes" would make
// go vet fail on a package named alone where the platform has none.
func FuzzBuiltEverywhere(f *testing.F) {
	for _, s := range []string{
		"package a\n",
		"//go:build windows\n\npackage a\n",
		"// +build linux\n\npackage a\n",
		"package a\n\n// int x;\nimport \"C\"\n",
		"//go:build ignore\n\npackage main\n",
		"// Package a.\npackage a\n\n//go:build windows\n",
		"/* x */ //go:build linux\npackage a\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if !builtEverywhere(dir) {
			return
		}
		for _, p := range DefaultPlatforms {
			goos, goarch, _ := strings.Cut(p, "/")
			ctx := build.Default
			ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = goos, goarch, false
			if ok, err := ctx.MatchFile(dir, "a.go"); err == nil && !ok {
				t.Errorf("builtEverywhere says every platform builds %q, go/build leaves it out on %s", src, p)
			}
		}
	})
}
