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

func TestVendor(t *testing.T) {
	t.Parallel()
	dir := quoteWorkspace(t)
	testws.Run(t, dir, "go", "work", "vendor")
	if rep, out := runSteps(t, dir, build.Verify, nil, All()...); rep.ExitCode() != build.ExitOK {
		t.Fatalf("verify on a freshly vendored workspace:\n%s", out)
	}
	quote := filepath.Join(dir, "vendor", "rsc.io", "quote", "quote.go")
	b, _ := os.ReadFile(quote)

	// Vendored code is not vetted: a printf bug in it is not the
	// repository's problem, cold or warm.
	os.WriteFile(filepath.Join(dir, "vendor", "rsc.io", "quote", "zz_bad.go"), []byte("package quote\n\nimport \"fmt\"\n\nfunc bad() string { return fmt.Sprintf(\"%d\", \"x\") }\n"), 0o644)
	if rep, out := runSteps(t, dir, build.Verify, nil, Vet); rep.ExitCode() != build.ExitOK {
		t.Errorf("vet reported vendored code:\n%s", out)
	}
	os.Remove(filepath.Join(dir, "vendor", "rsc.io", "quote", "zz_bad.go"))

	os.WriteFile(quote, append(b, []byte("\n// tampered\n")...), 0o644)
	os.WriteFile(filepath.Join(dir, "vendor", "rsc.io", "stray.go"), []byte("package stray\n"), 0o644)

	rep, out := runSteps(t, dir, build.Verify, nil, Vendor)
	wantFindings(t, rep, "vendor", out,
		"vendor/rsc.io/quote/quote.go:", "vendor/ is stale: would be changed", "vendor/rsc.io/stray.go: vendor/ is stale: would be removed",
	)
	if r := result(rep, "vendor"); r.Fix != "go tool mage update:vendor" {
		t.Errorf("fix = %q", r.Fix)
	}
	if rep, out := runSteps(t, dir, build.Update, nil, Vendor); rep.ExitCode() != build.ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, Vendor); rep.ExitCode() != build.ExitOK {
		t.Fatalf("verify after update:\n%s", out)
	}
	if b2, _ := os.ReadFile(quote); string(b2) != string(b) {
		t.Error("update did not restore the vendored file")
	}
}

// TestVendoredCodeKeysEveryPackage: in vendor mode the go command
// compiles a dependency from vendor/, which no go.sum line pins: an edit
// there re-checks the packages of the workspace (per-package keys hold
// vendored files as they hold go.sum).
func TestVendoredCodeKeysEveryPackage(t *testing.T) {
	t.Parallel()
	dir := quoteWorkspace(t)
	testws.Run(t, dir, "go", "work", "vendor")
	testws.Git(t, dir)
	cacheDir := t.TempDir()
	steps := []*build.Step{Vet, Typecheck}
	for range 2 {
		if res, log := diffRun(t, dir, os.Environ(), cacheDir, steps); !allPassed(res) {
			t.Fatalf("the vendored workspace fails:\n%s", log)
		}
	}
	quote := filepath.Join(dir, "vendor", "rsc.io", "quote", "quote.go")
	b, _ := os.ReadFile(quote)
	os.WriteFile(quote, []byte(strings.Replace(string(b), "func Go() string {", "func Go() int {\n\treturn 0\n}\n\nfunc goOld() string {", 1)), 0o644)
	truth, _ := diffRun(t, dir, os.Environ(), "", steps)
	got, log := diffRun(t, dir, os.Environ(), cacheDir, steps)
	for _, s := range steps {
		if truth[s.Name].Status != build.Failed {
			t.Fatalf("%s passes without the cache after the vendored edit: the test tests nothing", s.Name)
		}
		if got[s.Name].Status != truth[s.Name].Status {
			t.Errorf("%s is %s with the cache (cached=%v), %s without: a false cached pass\n%s", s.Name, got[s.Name].Status, got[s.Name].Cached, truth[s.Name].Status, log)
		}
	}
}
