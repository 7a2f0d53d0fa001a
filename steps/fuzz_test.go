// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
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
