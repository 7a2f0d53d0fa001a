// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"os"
	"path/filepath"
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
