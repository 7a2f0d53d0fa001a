// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

func TestBOM(t *testing.T) {
	t.Parallel()
	dir := quoteWorkspace(t)
	if rep, out := runSteps(t, dir, build.Verify, nil, BOM); rep.ExitCode() != build.ExitOK || !strings.Contains(out, "no bill-of-materials.json: nothing to check") {
		t.Fatalf("without a bill of materials:\n%s", out)
	}
	// etcd's layout: two-space indentation, the workspace's own module
	// recorded, a package path standing for its module.
	testws.Write(t, dir, testws.Files{
		BOMFile: `[
  {
    "project": "example.com/api",
    "licenses": [{"type": "Apache License 2.0", "confidence": 1}]
  },
  {
    "project": "github.com/gone/away",
    "licenses": [{"type": "MIT License", "confidence": 1}]
  },
  {
    "project": "rsc.io/quote",
    "licenses": [{"type": "BSD 3-clause \"New\" or \"Revised\" License", "confidence": 0.96}]
  }
]
`,
		BOMOverrideFile: `[{"project": "golang.org/x/text", "licenses": [{"type": "BSD 3-clause \"New\" or \"Revised\" License", "confidence": 1}]}]`,
	})
	rep, out := runSteps(t, dir, build.Verify, nil, BOM)
	wantFindings(t, rep, "bom", out,
		BOMFile+":7: github.com/gone/away is recorded but no longer ships",
		BOMFile+":1: rsc.io/sampler v1.3.0 ships but is not recorded (pulled in by",
		BOMFile+":1: golang.org/x/text")
	if n := len(result(rep, "bom").Findings); n != 3 {
		t.Errorf("%d findings, want 3:\n%s", n, out)
	}

	runSteps(t, dir, build.Update, nil, BOM)
	data, err := os.ReadFile(filepath.Join(dir, BOMFile))
	if err != nil {
		t.Fatal(err)
	}
	var got []bomProject
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v:\n%s", err, data)
	}
	var projects []string
	for _, p := range got {
		projects = append(projects, p.Project+" "+p.Licenses[0].Type)
	}
	want := []string{
		"example.com/api Apache License 2.0",
		`golang.org/x/text BSD 3-clause "New" or "Revised" License`, // the override
		`rsc.io/quote BSD 3-clause "New" or "Revised" License`,
		`rsc.io/sampler BSD 3-clause "New" or "Revised" License`, // identified
	}
	if strings.Join(projects, "\n") != strings.Join(want, "\n") || !strings.HasPrefix(string(data), "[\n  {\n    \"project\"") {
		t.Errorf("after update:\n%s", data)
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, BOM); rep.ExitCode() != build.ExitOK {
		t.Errorf("after update:\n%s", out)
	}
}

// TestBOMCountsEveryShippedPlatform: a dependency imported only on
// Windows ships where the repository builds for Windows (a typecheck
// platform), and not where it builds for Linux alone.
func TestBOMCountsEveryShippedPlatform(t *testing.T) {
	t.Parallel()
	dir := quoteWorkspace(t)
	// client imports quote only on Windows now.
	testws.Write(t, dir, testws.Files{
		"staging/src/example.com/client/quote.go": "//go:build windows\n\npackage client\n\nimport \"rsc.io/quote\"\n\n// Quote quotes.\nfunc Quote() string { return quote.Hello() }\n",
		"staging/src/example.com/api/quote.go":    "package api\n",
		BOMFile:                                   "[]\n",
		"hackless.yaml":                           "typecheck:\n  platforms: [linux/amd64, windows/amd64]\n",
	})
	rep, out := runSteps(t, dir, build.Update, nil, BOM)
	if rep.ExitCode() != build.ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	data, _ := os.ReadFile(filepath.Join(dir, BOMFile))
	if !strings.Contains(string(data), `"rsc.io/quote"`) {
		t.Fatalf("a Windows-only dependency is not recorded:\n%s", data)
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, BOM); rep.ExitCode() != build.ExitOK {
		t.Errorf("a Windows-only dependency recorded on purpose is reported:\n%s", out)
	}
	testws.Write(t, dir, testws.Files{"hackless.yaml": "typecheck:\n  platforms: [linux/amd64]\n"})
	rep, out = runSteps(t, dir, build.Verify, nil, BOM)
	wantFindings(t, rep, "bom", out, "rsc.io/quote is recorded but no longer ships")
}
