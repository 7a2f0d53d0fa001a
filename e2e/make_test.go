// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/internal/testws"
)

// versionedMain prints the variables hackless stamps.
const versionedMain = `package main

import "fmt"

var gitVersion, gitCommit, gitTreeState, gitMajor, gitMinor, buildDate string

func main() {
	fmt.Println(gitVersion, gitCommit, gitTreeState, gitMajor, gitMinor, buildDate)
}
`

func TestBuildReproducible(t *testing.T) {
	t.Parallel()
	origin := adopter(t)
	testws.Write(t, origin, testws.Files{"cmd/version/main.go": versionedMain})
	testws.Run(t, origin, "git", "add", "-A")
	testws.Run(t, origin, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "version")
	testws.Run(t, origin, "git", "tag", "v1.2.3")
	testws.Write(t, origin, testws.Files{"README": "more\n"})
	testws.Run(t, origin, "git", "add", "-A")
	testws.Run(t, origin, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "after the tag")
	commit := strings.TrimSpace(testws.Run(t, origin, "git", "rev-parse", "HEAD"))

	// Two clones in different places, built separately.
	var clones []string
	for range 2 {
		c := filepath.Join(t.TempDir(), "clone")
		testws.Run(t, origin, "git", "clone", "-q", origin, c)
		out, code := run(t, c, []string{"KUBE_BUILD_PLATFORMS=linux/amd64 darwin/arm64"}, "build")
		wantCode(t, out, code, 0)
		clones = append(clones, c)
	}
	for _, bin := range []string{"linux_amd64/version", "darwin_arm64/version", "linux_amd64/root"} {
		a, err := os.ReadFile(filepath.Join(clones[0], "_output", "bin", bin))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(clones[1], "_output", "bin", bin))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds of the same commit", bin)
		}
	}

	out := runBinary(t, clones[0])
	date := strings.TrimSpace(testws.Run(t, origin, "git", "show", "-s", "--format=%cI", "HEAD"))
	want := regexp.MustCompile(`^v1\.2\.3-1\+` + commit[:14] + ` ` + commit + ` clean 1 2 (\S+)\n$`)
	m := want.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("version output %q does not match %s", out, want)
	}
	if !sameInstant(t, m[1], date) {
		t.Errorf("buildDate %s, want the commit time %s", m[1], date)
	}

	// SOURCE_DATE_EPOCH wins; a dirty tree says so.
	testws.Write(t, clones[0], testws.Files{"cmd/version/extra.go": "package main\n"})
	o, code := run(t, clones[0], []string{"SOURCE_DATE_EPOCH=86400", "WHAT=cmd/version"}, "build")
	wantCode(t, o, code, 0)
	if out := runBinary(t, clones[0]); !strings.Contains(out, "+"+commit[:14]+"-dirty "+commit+" dirty 1 2 1970-01-02T00:00:00Z") {
		t.Errorf("dirty build printed %q", out)
	}

	o, code = run(t, clones[0], nil, "clean")
	wantCode(t, o, code, 0)
	if _, err := os.Stat(filepath.Join(clones[0], "_output")); !os.IsNotExist(err) {
		t.Errorf("_output survived clean: %v", err)
	}
}

func runBinary(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(dir, "_output", "bin", "linux_amd64", "version")).Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func sameInstant(t *testing.T, a, b string) bool {
	t.Helper()
	cmd := exec.Command("date", "-u", "-d", a, "+%s")
	x, err1 := cmd.Output()
	y, err2 := exec.Command("date", "-u", "-d", b, "+%s").Output()
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func TestTestTarget(t *testing.T) {
	t.Parallel()
	dir := adopter(t)
	artifacts := t.TempDir()
	out, code := run(t, dir, []string{"ARTIFACTS=" + artifacts}, "test")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "ok    example.com/client", "test: 1 passed")

	testws.Write(t, dir, testws.Files{"staging/src/example.com/api/api_test.go": "package api\n\nimport \"testing\"\n\nfunc TestName(t *testing.T) {\n\tif Name != \"API\" {\n\t\tt.Fatalf(\"Name = %q\", Name)\n\t}\n}\n"})
	out, code = run(t, dir, []string{"ARTIFACTS=" + artifacts}, "test", "-short")
	wantCode(t, out, code, 1)
	wantOutput(t, out, "staging/src/example.com/api/api_test.go:7: TestName failed (example.com/api)", `Name = "api"`)

	data, err := os.ReadFile(filepath.Join(artifacts, "junit_test.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var suites driver.JUnitSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range suites.Suites[0].Cases {
		if c.Classname == "example.com/api" && c.Name == "TestName" && c.Failure != nil {
			found = true
		}
	}
	if !found {
		t.Errorf("junit_test.xml has no failed TestName:\n%s", data)
	}

	out, code = run(t, dir, nil, "test", "-pkgs=example.com/client", "-run=TestDescribe")
	wantCode(t, out, code, 0)
}
