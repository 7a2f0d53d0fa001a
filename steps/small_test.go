// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/internal/testws"
)

// TestGofmtFileNameWithSpaces: a file whose name holds a space is
// reported by its name and fixed by update.
func TestGofmtFileNameWithSpaces(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Write(t, dir, testws.Files{apiDir + "sp ace.go": "package api\nconst Spaced =  1\n"})
	rep, out := runSteps(t, dir, build.Verify, nil, Gofmt)
	if !strings.Contains(findingsOf(rep, "gofmt"), apiDir+"sp ace.go:2: not formatted") {
		t.Fatalf("want a finding at sp ace.go:\n%s", out)
	}
	if rep, out := runSteps(t, dir, build.Update, nil, Gofmt); rep.ExitCode() != build.ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, apiDir, "sp ace.go")); !strings.Contains(string(b), "const Spaced = 1") {
		t.Errorf("not formatted: %q", b)
	}
}

// TestMalformedConfigurationExits2: a configuration file a step cannot
// use ends the run with exit 2, its finding at the file's line; malformed
// YAML is reported once, as file:line.
func TestMalformedConfigurationExits2(t *testing.T) {
	for _, tt := range []struct {
		step       *build.Step
		file, data string
		want       string
	}{
		{Codegen, CodegenConfig, "{\n  \"commands\": [\n    {\"dir\": \"x\", \"runn\": []}\n  ]\n}\n", CodegenConfig + ":3: "},
		{Licenses, LicensePolicyFile, "{\"allowed\": [\"MIT\"],\n \"bad\": 1}\n", LicensePolicyFile + ":2: "},
		{Imports, apiDir + ".import-restrictions", "rules: [\n", apiDir + ".import-restrictions:1: did not find expected node content"},
	} {
		t.Run(tt.step.Name, func(t *testing.T) {
			dir := testws.New(t, testws.Staging())
			testws.Write(t, dir, testws.Files{tt.file: tt.data})
			rep, out := runSteps(t, dir, build.Verify, nil, tt.step)
			if rep.ExitCode() != build.ExitUsage || !strings.Contains(findingsOf(rep, tt.step.Name), tt.want) {
				t.Errorf("exit %d, want 2 and a finding %q:\n%s", rep.ExitCode(), tt.want, out)
			}
			if strings.Count(out, tt.file) > 2 {
				t.Errorf("the file is named more than once per line:\n%s", out)
			}
		})
	}
}

// TestLicensesNamesReplacedDirectories: a module replaced by a directory
// is named with the directory, not an empty version.
func TestLicensesNamesReplacedDirectories(t *testing.T) {
	files := testws.Staging()
	withLib(files)
	files["third_party/lib/LICENSE"] = bsdText
	files[LicensePolicyFile] = `{"allowed": ["MIT"], "replaceDefaults": true}`
	dir := testws.New(t, files)
	rep, out := runSteps(t, dir, build.Verify, nil, Licenses)
	if !strings.Contains(findingsOf(rep, "licenses"), "example.com/lib (replaced by third_party/lib): BSD-3-Clause is not allowed") {
		t.Errorf("finding:\n%s", out)
	}
	// A workspace that ships no dependency says so without a dangling colon.
	dir = testws.New(t, testws.Staging())
	_, out = runSteps(t, dir, build.Verify, nil, Licenses)
	if !strings.Contains(out, "no shipped dependency modules") || strings.Contains(out, "modules: \n") {
		t.Errorf("note:\n%s", out)
	}
}

// TestBoilerplateRefusesATemplateThatIsNoComment: a plain-text template
// for Go files is refused (exit 2) and update writes nothing.
func TestBoilerplateRefusesATemplateThatIsNoComment(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Write(t, dir, testws.Files{BoilerplateDir + "/boilerplate.go.txt": "Copyright YEAR The Authors.\n"})
	testws.Git(t, dir)
	rep, out := runSteps(t, dir, build.Update, nil, Boilerplate)
	if rep.ExitCode() != build.ExitUsage || !strings.Contains(findingsOf(rep, "boilerplate"), "boilerplate.go.txt:1: the template for .go files is not a comment") {
		t.Errorf("want a refusal at the template:\n%s", out)
	}
	if s := testws.Run(t, dir, "git", "status", "--porcelain"); s != "" {
		t.Errorf("update wrote files:\n%s", s)
	}
}

// TestOneProblemOneFinding: two misspellings in a file are two findings,
// the first carrying the file's diff; a module missing from go.work is
// one finding, at the line where the use would go.
func TestOneProblemOneFinding(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Write(t, dir, testws.Files{apiDir + "typos.go": "// Package api: we recieve what occured.\npackage api\n"})
	rep, out := runSteps(t, dir, build.Verify, nil, Spelling)
	fs := result(rep, "spelling").Findings
	if len(fs) != 2 || fs[0].Diff == "" || fs[1].Diff != "" {
		t.Errorf("want 2 findings, the first with the diff:\n%s", out)
	}

	dir = testws.New(t, testws.Staging())
	testws.Replace(t, dir, "go.work", "\t./staging/src/example.com/client\n", "")
	rep, out = runSteps(t, dir, build.Verify, nil, Workspace)
	fs = result(rep, "workspace").Findings
	if len(fs) != 1 || fs[0].Pos.Line == 0 || fs[0].Diff == "" || !strings.Contains(fs[0].Message, "does not use the module in staging/src/example.com/client") {
		t.Errorf("want one finding with a line and the diff:\n%s", out)
	}
}

// TestBoilerplateKubernetesStyle: yearless templates in a directory of the
// repository's own accept files that carry years; a Dockerfile's syntax
// line stays first, and update never adds a second header.
func TestBoilerplateKubernetesStyle(t *testing.T) {
	files := testws.Staging()
	files["hack/boilerplate/boilerplate.go.txt"] = "/*\nCopyright The Authors.\n\nLicensed under the Apache License, Version 2.0.\n*/\n"
	files["hack/boilerplate/boilerplate.Dockerfile.txt"] = "# Copyright The Authors.\n#\n# Licensed under the Apache License, Version 2.0.\n"
	header := func(year string) string {
		return "/*\nCopyright " + year + "The Authors.\n\nLicensed under the Apache License, Version 2.0.\n*/\n\n"
	}
	for f, content := range files {
		if strings.HasSuffix(f, ".go") {
			files[f] = header("2014 ") + content
		}
	}
	files[apiDir+"types.go"] = header("") + testws.Staging()[apiDir+"types.go"]
	files["build/Dockerfile"] = "# syntax=docker/dockerfile:1.4\n# Copyright 2019 The Authors.\n#\n# Licensed under the Apache License, Version 2.0.\n\nFROM scratch\n"
	files["build/other/Dockerfile"] = "# syntax=docker/dockerfile:1.4\nFROM scratch\n"
	dir := testws.New(t, files)
	testws.Git(t, dir)
	env := append(os.Environ(), "HACKLESS_BOILERPLATE_DIR=hack/boilerplate")
	rep, out := runSteps(t, dir, build.Verify, env, Boilerplate)
	if fs := result(rep, "boilerplate").Findings; len(fs) != 1 || fs[0].Pos.File != "build/other/Dockerfile" {
		t.Fatalf("want one finding, the Dockerfile without a header:\n%s", out)
	}
	if rep, out := runSteps(t, dir, build.Update, env, Boilerplate); rep.ExitCode() != build.ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "build/other/Dockerfile"))
	if want := "# syntax=docker/dockerfile:1.4\n# Copyright The Authors.\n#\n# Licensed under the Apache License, Version 2.0.\n\nFROM scratch\n"; string(b) != want {
		t.Errorf("Dockerfile after update:\n%s", b)
	}
	if rep, out := runSteps(t, dir, build.Update, env, Boilerplate); rep.ExitCode() != build.ExitOK || len(result(rep, "boilerplate").Changed) != 0 {
		t.Errorf("a second update changed files:\n%s", out)
	}
}

// TestWorkSum: where the repository keeps go.work.sum, verify:workspace
// reports the checksums go mod download would add, and update adds them;
// a repository without go.work.sum is not asked for one.
func TestWorkSum(t *testing.T) {
	dir := quoteWorkspace(t)
	if rep, out := runSteps(t, dir, build.Verify, nil, Workspace); rep.ExitCode() != build.ExitOK {
		t.Fatalf("without go.work.sum:\n%s", out)
	}
	// Only go.work.sum can hold quote v1.5.2's checksums now: no module's
	// go.sum has them (the go command reads every module's of the
	// workspace).
	sums, _ := filepath.Glob(filepath.Join(dir, "staging/src/example.com/*/go.sum"))
	for i := range sums {
		sums[i], _ = filepath.Rel(dir, sums[i])
	}
	for _, f := range append(sums, "go.sum") {
		p := filepath.Join(dir, f)
		b, _ := os.ReadFile(p)
		var keep []string
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if !strings.HasPrefix(l, "rsc.io/quote v1.5.2") {
				keep = append(keep, l)
			}
		}
		os.WriteFile(p, []byte(strings.Join(keep, "")), 0o644)
	}
	testws.Write(t, dir, testws.Files{"go.work.sum": ""})
	rep, out := runSteps(t, dir, build.Verify, nil, Workspace)
	if !strings.Contains(findingsOf(rep, "workspace"), "go.work.sum:1: go.work.sum lacks checksums that go mod download adds") {
		t.Fatalf("want a go.work.sum finding:\n%s", out)
	}
	if rep, out := runSteps(t, dir, build.Update, nil, Workspace); rep.ExitCode() != build.ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "go.work.sum")); !strings.Contains(string(b), "rsc.io/quote v1.5.2") {
		t.Errorf("go.work.sum after update:\n%s", b)
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, Workspace); rep.ExitCode() != build.ExitOK {
		t.Errorf("verify after update:\n%s", out)
	}
	// go.work.sum is what the go command itself writes: go mod download
	// in the tree adds nothing (the copy of go.work verify works on uses
	// every module, as go.work does).
	before, _ := os.ReadFile(filepath.Join(dir, "go.work.sum"))
	dl := exec.Command("go", "mod", "download")
	dl.Dir = dir
	dl.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := dl.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "go.work.sum")); string(after) != string(before) {
		t.Errorf("go mod download changed the go.work.sum update wrote:\n%s\n->\n%s", before, after)
	}
}

// TestCodegenCommandLines: a configured command's finding is at the line
// of that command.
func TestCodegenCommandLines(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Write(t, dir, testws.Files{CodegenConfig: "{\n  \"commands\": [\n    {\"dir\": \".\", \"run\": [\"true\"]},\n    {\"dir\": \".\", \"run\": [\"false\"]}\n  ]\n}\n"})
	rep, out := runSteps(t, dir, build.Verify, nil, Codegen)
	if !strings.Contains(findingsOf(rep, "codegen"), CodegenConfig+":4: command 2 (false) failed") {
		t.Errorf("want the failure at line 4:\n%s", out)
	}
}

// TestUpdateConvergesInOneRun: when update:workspace re-adds a module to
// go.work, the steps after it in the same run see the new workspace, so
// one update leaves nothing for verify.
func TestUpdateConvergesInOneRun(t *testing.T) {
	t.Parallel()
	files := testws.Staging()
	files["go.work"] = strings.Replace(files["go.work"], "\t./staging/src/example.com/client\n", "", 1)
	// The client's go.mod lacks its requirement of the api module: tidy
	// fixes it only if it sees client as a workspace module.
	files[clientDir+"go.mod"] = strings.Replace(files[clientDir+"go.mod"], "require example.com/api v0.0.0\n", "", 1)
	dir := testws.New(t, files)
	testws.Git(t, dir)
	if rep, out := runSteps(t, dir, build.Update, nil, All()...); rep.ExitCode() != build.ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, All()...); rep.ExitCode() != build.ExitOK {
		t.Errorf("verify after one update:\n%s", out)
	}
}

// TestConfigurationErrorsAtTheirLine: a hackless.yaml setting a step
// cannot use is exit 2 at its own line, once, whether the file's parse
// finds it or the step does.
func TestConfigurationErrorsAtTheirLine(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		step       *build.Step
		want       string
	}{
		{"platform", "vet: {}\ntypecheck:\n  platforms: [linux/amd65]\n", Typecheck, "hackless.yaml:3: typecheck.platforms has \"linux/amd65\", which Go does not know"},
		{"glob", "filesizes:\n  max: 10\nspelling:\n  exclude: [\"[abc\"]\n", Spelling, "hackless.yaml:4: spelling.exclude has \"[abc\", not a path glob"},
		{"lint timeout", "lint:\n  timeout: soon\n", Lint, "hackless.yaml:2: lint.timeout is \"soon\""},
		{"lint config", "spelling: {}\n\nlint:\n  config: nope/.golangci.yml\n", Lint, "hackless.yaml:4: lint.config names nope/.golangci.yml, which does not exist"},
		{"vulnerabilities db", "spelling: {}\nvulnerabilities:\n  db: /nonexistent/db\n", Vulnerabilities, "hackless.yaml:3: vulnerabilities.db: /nonexistent/db has no index"},
		{"vet analyzer", "vet:\n  analyzers:\n    printf: true\n    nosuch: false\n", Vet, "hackless.yaml:4: vet.analyzers names nosuch, which is no analyzer of go vet"},
		{"missing script", "scripts:\n  steps:\n    - name: mine\n      verify: hack/nope.sh\n", nil, "hackless.yaml:4: hack/nope.sh: no such script"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := testws.New(t, testws.Staging())
			testws.Write(t, dir, testws.Files{"hackless.yaml": tt.yaml})
			steps := []*build.Step{tt.step}
			if tt.step == nil {
				cfg, err := config.Parse([]byte(tt.yaml))
				if err != nil {
					t.Fatal(err)
				}
				if steps, err = ScriptSteps(dir, cfg.Scripts); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			rep, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Mode: build.Verify, Dir: dir}, Out: &out}, steps...)
			code := build.ExitUsage
			text := out.String()
			if err != nil {
				text += err.Error()
			} else {
				code = rep.ExitCode()
			}
			if code != build.ExitUsage || !strings.Contains(text, tt.want) {
				t.Errorf("exit %d, want 2 and %q:\n%s", code, tt.want, text)
			}
			if strings.Contains(text, "spelling") && tt.step == Lint {
				t.Errorf("another step reported it too:\n%s", text)
			}
		})
	}
}

// TestVerifyWritesNoSums: a verify whose go commands would add checksums
// (go.work.sum lacks what the go command appends when it loads modules no
// go.sum holds) leaves every file of the tree as it was: the run's go
// commands work on a private copy of go.work and go.work.sum.
func TestVerifyWritesNoSums(t *testing.T) {
	dir := quoteWorkspace(t)
	sums, _ := filepath.Glob(filepath.Join(dir, "staging/src/example.com/*/go.sum"))
	for _, p := range append(sums, filepath.Join(dir, "go.sum")) {
		b, _ := os.ReadFile(p)
		var keep []string
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if !strings.HasPrefix(l, "rsc.io/") && !strings.HasPrefix(l, "golang.org/x/text") {
				keep = append(keep, l)
			}
		}
		os.WriteFile(p, []byte(strings.Join(keep, "")), 0o644)
	}
	testws.Write(t, dir, testws.Files{"go.work.sum": ""})
	testws.Git(t, dir)
	runSteps(t, dir, build.Verify, nil, Vet, Typecheck, Licenses, Codegen)
	if s := testws.Run(t, dir, "git", "status", "--porcelain"); s != "" {
		t.Errorf("verify changed the tree:\n%s", s)
	}
}

// TestDuplicateUse: a go.work that uses one directory twice (which the go
// command refuses) is a finding at the second use's line, which update
// fixes; nothing panics on the way (WorkCopy once dropped the same use
// twice).
func TestDuplicateUse(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Replace(t, dir, "go.work", ")", "\t./staging/src/example.com/api\n)")
	rep, out := runSteps(t, dir, build.Verify, nil, Workspace, Gofmt)
	wantFindings(t, rep, "workspace", out, "go.work:7: uses ./staging/src/example.com/api twice")
	if rep, out := runSteps(t, dir, build.Update, nil, Workspace); rep.ExitCode() != build.ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, Workspace); rep.ExitCode() != build.ExitOK {
		t.Errorf("after update:\n%s", out)
	}
}

// TestQuickFailuresFirst: an unformatted file is reported before vet
// ends, even with vet listed first and one job; with -failfast vet never
// starts.
func TestQuickFailuresFirst(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Write(t, dir, testws.Files{
		apiDir + "ugly.go":   "package api\n\nfunc   Ugly() {}\n",
		clientDir + "bad.go": "package client\n\nimport \"fmt\"\n\n// Bad misuses Sprintf.\nfunc Bad() string { return fmt.Sprintf(\"%d\", \"x\") }\n",
	})
	run := func(failFast bool, jobs int) string {
		var out bytes.Buffer
		if _, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Mode: build.Verify, Dir: dir, Jobs: jobs, FailFast: failFast}, Out: &out}, Vet, Gofmt); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	for _, jobs := range []int{1, 2} {
		out := run(false, jobs)
		g, v := strings.Index(out, "FAIL    gofmt"), strings.Index(out, "FAIL    vet")
		if g < 0 || v < 0 || g > v {
			t.Errorf("-jobs=%d: gofmt's failure is not reported before vet's:\n%s", jobs, out)
		}
		// With one slot vet never starts; with two it starts beside gofmt
		// (the long lane) and is stopped when gofmt fails.
		out = run(true, jobs)
		if strings.Contains(out, "FAIL    vet") || !strings.Contains(out, "FAIL    gofmt") || !strings.Contains(out, "fail-fast") {
			t.Errorf("-jobs=%d: -failfast let vet fail after gofmt failed:\n%s", jobs, out)
		}
	}
}

// TestBaseline: findings recorded in the baseline keep a repository with
// pre-existing gofmt findings green, also after edits move them; a new
// unformatted file fails; -baseline=off shows everything; an entry whose
// file is gone is reported.
func TestBaseline(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Write(t, dir, testws.Files{apiDir + "old.go": "package api\n\nfunc   Old() {}\n"})
	rep, out := runSteps(t, dir, build.Verify, nil, Gofmt, Spelling)
	if rep.ExitCode() != build.ExitFailed {
		t.Fatalf("before the baseline:\n%s", out)
	}
	if err := build.NewBaseline(rep).Write(dir); err != nil {
		t.Fatal(err)
	}
	rep, out = runSteps(t, dir, build.Verify, nil, Gofmt, Spelling)
	if rep.ExitCode() != build.ExitOK || !strings.Contains(out, "baseline: 1 of the 1 findings hackless-baseline.json accepts were left out") {
		t.Fatalf("with the baseline:\n%s", out)
	}
	// An edit above the finding moves it; it stays accepted.
	testws.Write(t, dir, testws.Files{apiDir + "old.go": "package api\n\n// Old is old.\n//\n// It stays unformatted.\nfunc   Old() {}\n"})
	if rep, out := runSteps(t, dir, build.Verify, nil, Gofmt); rep.ExitCode() != build.ExitOK {
		t.Errorf("an edit above the accepted finding brought it back:\n%s", out)
	}
	testws.Write(t, dir, testws.Files{apiDir + "new.go": "package api\n\nfunc   New() {}\n"})
	rep, out = runSteps(t, dir, build.Verify, nil, Gofmt)
	wantFindings(t, rep, "gofmt", out, apiDir+"new.go:3: not formatted")
	if strings.Contains(findingsOf(rep, "gofmt"), "old.go") {
		t.Errorf("the accepted finding is reported:\n%s", out)
	}
	var all bytes.Buffer
	rep, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Mode: build.Verify, Dir: dir, NoBaseline: true}, Out: &all}, Gofmt)
	if err != nil || !strings.Contains(findingsOf(rep, "gofmt"), "old.go") {
		t.Errorf("-baseline=off hides the accepted finding:\n%s", all.String())
	}
	os.Remove(filepath.Join(dir, apiDir+"old.go"))
	os.Remove(filepath.Join(dir, apiDir+"new.go"))
	if _, out := runSteps(t, dir, build.Verify, nil, Gofmt); !strings.Contains(out, "hackless-baseline.json: gofmt's entry for "+apiDir+"old.go, which no longer exists") {
		t.Errorf("a stale entry is not reported:\n%s", out)
	}
}
