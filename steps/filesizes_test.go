// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

func TestFileSizes(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	if rep, out := runSteps(t, dir, build.Verify, nil, FileSizes); rep.ExitCode() != build.ExitOK {
		t.Fatalf("clean workspace:\n%s", out)
	}
	big := strings.Repeat("x", DefaultMaxFileSize+1)
	testws.Write(t, dir, testws.Files{
		"api/openapi.json":  big,
		"docs/big.bin":      big,
		"testdata/huge.txt": big, // not the tree's own files
		"small.txt":         strings.Repeat("x", DefaultMaxFileSize),
	})
	rep, out := runSteps(t, dir, build.Verify, nil, FileSizes)
	wantFindings(t, rep, "filesizes", out, "api/openapi.json:1: 1.0 MiB is larger than the limit of 1.0 MiB", "docs/big.bin:1:")
	if got := findingsOf(rep, "filesizes"); strings.Contains(got, "huge.txt") || strings.Contains(got, "small.txt") {
		t.Errorf("findings:\n%s", got)
	}
	testws.Write(t, dir, testws.Files{"hackless.yaml": "filesizes:\n  allow: [\"api/*.json\", \"docs/**\"]\n"})
	if rep, out := runSteps(t, dir, build.Verify, nil, FileSizes); rep.ExitCode() != build.ExitOK || !strings.Contains(out, "2 larger files are allowed") {
		t.Fatalf("with an allowlist:\n%s", out)
	}
	testws.Write(t, dir, testws.Files{"hackless.yaml": "filesizes:\n  max: 1000\n"})
	rep, out = runSteps(t, dir, build.Verify, nil, FileSizes)
	wantFindings(t, rep, "filesizes", out, "small.txt:1: 1.0 MiB is larger than the limit of 1000 bytes")
}
