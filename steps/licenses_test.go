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

func TestLicenses(t *testing.T) {
	dir := quoteWorkspace(t)
	rep, out := runSteps(t, dir, build.Verify, nil, Licenses)
	if rep.ExitCode() != build.ExitOK || !strings.Contains(out, "3 shipped dependency modules: BSD-3-Clause 3") || !strings.Contains(out, "no LICENSES/ directory") {
		t.Fatalf("default policy:\n%s", out)
	}

	// A policy that allows only MIT: every module fails, with its chain.
	testws.Write(t, dir, testws.Files{LicensePolicyFile: `{"allowed": ["MIT"], "replaceDefaults": true, "overrides": {"golang.org/x/text": "MIT"}}`})
	rep, out = runSteps(t, dir, build.Verify, nil, Licenses)
	got := findingsOf(rep, "licenses")
	wantFindings(t, rep, "licenses", out,
		"staging/src/example.com/api/go.mod:7: rsc.io/quote v1.5.2: BSD-3-Clause is not allowed",
		"pulled in by example.com/api -> rsc.io/quote",
		"rsc.io/sampler v1.3.0: BSD-3-Clause is not allowed",
		"pulled in by example.com/api -> rsc.io/quote -> rsc.io/sampler",
	)
	if strings.Contains(got, "golang.org/x/text") {
		t.Errorf("the override was ignored:\n%s", out)
	}

	// The database: started with mkdir, kept by update.
	os.Remove(filepath.Join(dir, LicensePolicyFile))
	testws.Write(t, dir, testws.Files{"LICENSE": "Copyright 2026 Example\n", "LICENSES/OWNERS": "approvers: [me]\n"})
	rep, out = runSteps(t, dir, build.Verify, nil, Licenses)
	if got := findingsOf(rep, "licenses"); !strings.Contains(got, "LICENSES/vendor/rsc.io/quote/LICENSE: LICENSES/vendor is stale: would be added") ||
		!strings.Contains(got, "LICENSES/LICENSE: LICENSES/LICENSE does not hold the repository's LICENSE") {
		t.Fatalf("database not checked:\n%s", out)
	}
	if rep, out := runSteps(t, dir, build.Update, nil, Licenses); rep.ExitCode() != build.ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "LICENSES", "vendor", "rsc.io", "sampler", "LICENSE"))
	if !strings.HasPrefix(string(b), "= vendor/rsc.io/sampler licensed under: =\n\nCopyright (c) 2009 The Go Authors.") ||
		!strings.Contains(string(b), "\n= vendor/rsc.io/sampler/LICENSE ") {
		t.Errorf("database entry:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "LICENSES", "OWNERS")); err != nil {
		t.Error("update removed LICENSES/OWNERS")
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, Licenses); rep.ExitCode() != build.ExitOK {
		t.Fatalf("verify after update:\n%s", out)
	}
	// A stale entry is reported.
	testws.Write(t, dir, testws.Files{"LICENSES/vendor/example.com/gone/LICENSE": "old\n"})
	rep, out = runSteps(t, dir, build.Verify, nil, Licenses)
	if !strings.Contains(findingsOf(rep, "licenses"), "LICENSES/vendor/example.com/gone/LICENSE: LICENSES/vendor is stale: would be removed") {
		t.Errorf("stale entry not reported:\n%s", out)
	}
}
