// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/internal/testws"
)

func TestGoTest(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Write(t, dir, testws.Files{
		"staging/src/example.com/client/fail_test.go": "package client\n\nimport \"testing\"\n\nfunc TestFails(t *testing.T) {\n\tt.Log(\"context\")\n\tt.Errorf(\"got %d, want %d\", 1, 2)\n}\n\nfunc TestSub(t *testing.T) {\n\tt.Run(\"inner\", func(t *testing.T) { t.Fatal(\"inner broke\") })\n}\n\nfunc TestSkipped(t *testing.T) { t.Skip(\"not today\") }\n",
	})
	artifacts := t.TempDir()
	var out bytes.Buffer
	rep, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Name: "test", Dir: dir}, Out: &out, Artifacts: artifacts}, GoTest(TestConfig{}))
	if err != nil {
		t.Fatal(err)
	}
	if rep.ExitCode() != build.ExitFailed {
		t.Fatalf("exit %d:\n%s", rep.ExitCode(), out.String())
	}
	r := rep.Results[0]
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.String())
	}
	want := []string{
		"staging/src/example.com/client/fail_test.go:7: TestFails failed (example.com/client)",
		"staging/src/example.com/client/fail_test.go:11: TestSub/inner failed (example.com/client)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(r.Findings[0].Detail, "fail_test.go:6: context") {
		t.Errorf("the failed test's output is missing: %q", r.Findings[0].Detail)
	}
	for _, w := range []string{"FAIL  example.com/client", "?     example.com/api [no test files]", "?     example.com/api/helpers [no test files]"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("per-package summary lacks %q:\n%s", w, out.String())
		}
	}
	data, err := os.ReadFile(filepath.Join(artifacts, "junit_test.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var suites driver.JUnitSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	cases := map[string]build.JUnitCase{}
	for _, c := range suites.Suites[0].Cases {
		cases[c.Classname+"."+c.Name] = c
	}
	if c := cases["example.com/client.TestFails"]; c.Failure == nil || !strings.Contains(c.Failure.Text, "got 1, want 2") {
		t.Errorf("TestFails case = %+v", c)
	}
	if c := cases["example.com/client.TestSkipped"]; c.Skipped == nil {
		t.Errorf("TestSkipped case = %+v", c)
	}
	if c, ok := cases["example.com/client.TestDescribe"]; !ok || c.Failure != nil {
		t.Errorf("TestDescribe case = %+v", c)
	}
	if s := suites.Suites[0]; s.Failures != 3 || s.Skipped != 1 {
		t.Errorf("suite counts: %d failures, %d skipped", s.Failures, s.Skipped)
	}

	// -run selects; the passing selection passes.
	out.Reset()
	rep, _ = driver.Run(context.Background(), driver.Options{Options: build.Options{Name: "test", Dir: dir}, Out: &out}, GoTest(TestConfig{Run: "TestDescribe", Short: true}))
	if rep.ExitCode() != build.ExitOK || !strings.Contains(out.String(), "ok    example.com/client") {
		t.Errorf("-run=TestDescribe failed:\n%s", out.String())
	}
}

func TestGoTestBuildFailure(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Write(t, dir, testws.Files{"staging/src/example.com/api/broken.go": "package api\n\n// X is broken.\nfunc X() int { return undefinedY }\n"})
	var out bytes.Buffer
	rep, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Name: "test", Dir: dir}, Out: &out}, GoTest(TestConfig{}))
	if err != nil {
		t.Fatal(err)
	}
	if rep.ExitCode() != build.ExitFailed {
		t.Fatalf("a build failure passed:\n%s", out.String())
	}
	for _, w := range []string{
		"staging/src/example.com/api/broken.go:4:23: build failed: undefined: undefinedY",
		"FAIL  example.com/client [build failed: example.com/api]",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	if n := strings.Count(out.String(), "undefined: undefinedY"); n != 1 {
		t.Errorf("the build error is reported %d times, want once:\n%s", n, out.String())
	}
}

func TestSemverFromDescribe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"v1.2.3", "v1.2.3"},
		{"v1.2.3-4-g0123456789abcd", "v1.2.3-4+0123456789abcd"},
		{"v1.2.3-rc.1-4-g0123456789abcd", "v1.2.3-rc.1.4+0123456789abcd"},
		{"v0.0.0-master+0123456789abcd", "v0.0.0-master+0123456789abcd"},
	}
	for _, tt := range tests {
		if got := SemverFromDescribe(tt.in); got != tt.want {
			t.Errorf("SemverFromDescribe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
