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

// TestLicensesWithoutAPolicy: a repository without a policy of its own is
// told what the default allowlist would reject, and does not fail on day
// one; licenses.policy: default enforces it; an examples module ships
// nothing.
func TestLicensesWithoutAPolicy(t *testing.T) {
	files := testws.Staging()
	withLib(files)
	files["third_party/lib/LICENSE"] = "Mozilla Public License Version 2.0\n" // identified as nothing known
	dir := testws.New(t, files)
	rep, out := runSteps(t, dir, build.Verify, nil, Licenses)
	if rep.ExitCode() != build.ExitOK || !strings.Contains(out, "not enforced: the repository has no license policy (hack/license-policy.json), and the default allowlist (CNCF's) would reject 1 shipped modules: example.com/lib") {
		t.Fatalf("without a policy:\n%s", out)
	}
	testws.Write(t, dir, testws.Files{"hackless.yaml": "licenses:\n  policy: default\n"})
	rep, out = runSteps(t, dir, build.Verify, nil, Licenses)
	wantFindings(t, rep, "licenses", out, "example.com/lib (replaced by third_party/lib): an unidentified license")

	// Only an example requires lib: nothing it pulls in ships.
	ex := testws.Staging()
	ex["third_party/lib/go.mod"] = "module example.com/lib\n\ngo " + testws.GoVersion + "\n"
	ex["third_party/lib/lib.go"] = "// Package lib is replaced in.\npackage lib\n\n// Go says go.\nfunc Go() string { return \"go\" }\n"
	ex["third_party/lib/LICENSE"] = "Mozilla Public License Version 2.0\n"
	ex["examples/demo/go.mod"] = "module example.com/demo\n\ngo " + testws.GoVersion + "\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../../third_party/lib\n"
	ex["examples/demo/demo.go"] = "// Package demo shows lib.\npackage demo\n\nimport \"example.com/lib\"\n\n// Go is lib's.\nvar Go = lib.Go\n"
	ex["go.work"] = strings.Replace(ex["go.work"], ")", "\t./examples/demo\n)", 1)
	ex["hackless.yaml"] = "licenses:\n  policy: default\n"
	dir = testws.New(t, ex)
	if rep, out := runSteps(t, dir, build.Verify, nil, Licenses); rep.ExitCode() != build.ExitOK {
		t.Errorf("an example's dependency counted as shipped:\n%s", out)
	}
}
