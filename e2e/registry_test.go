// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hackless/hackless/internal/testws"
)

// helloStep is a new built-in step, written as the README's "Adding a
// built-in step" says: one file in steps/.
const helloStep = `package steps

import "github.com/hackless/hackless/build"

// Hello checks that the repository says hello: a file HELLO holds "hello".
// Update writes it.
var Hello = &build.Step{
	Name:   "hello",
	Doc:    "the repository says hello",
	Inputs: build.Inputs{Files: []string{"HELLO"}},
	Writes: []string{"HELLO"},
	Run: func(pass *build.Pass) error {
		return pass.Propose("HELLO", []byte("hello\n"), "the repository does not say hello")
	},
}
`

// TestAddingAStep adds a step to a copy of this repository with one file
// and one line, runs go generate, and finds it everywhere the registry
// reaches: mage -l, the README's table, ci:matrix, verify and update.
func TestAddingAStep(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("end-to-end: compiles this repository's magefile")
	}
	src, err := filepath.Abs(testws.Checkout())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range strings.Split(strings.TrimSpace(testws.Run(t, src, "git", "ls-files", "--cached", "--others", "--exclude-standard")), "\n") {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			continue // deleted in the work tree
		}
		testws.Write(t, dir, testws.Files{f: string(b)})
	}
	testws.Write(t, dir, testws.Files{"steps/hello.go": helloStep})
	// The one line: Hello at the end of steps.All's list.
	all := regexp.MustCompile(`(return \[\]\*build\.Step\{[^}\n]*)\}`)
	registry, err := os.ReadFile(filepath.Join(dir, "steps", "steps.go"))
	if err != nil || !all.Match(registry) {
		t.Fatalf("steps/steps.go has no list of steps: %v", err)
	}
	testws.Write(t, dir, testws.Files{"steps/steps.go": all.ReplaceAllString(string(registry), "$1, Hello}")})
	// -trimpath: gensteps compiles from the build cache (the launcher
	// compiles with -trimpath too) but for the packages the step changed.
	gen := exec.Command("go", "generate")
	gen.Dir = filepath.Join(dir, "verify")
	gen.Env = append(os.Environ(), "GOFLAGS=-trimpath")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("go generate: %v\n%s", err, out)
	}

	out, code := run(t, dir, nil, "-l")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "verify:hello", "checks that the repository says hello", "update:hello")
	readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	if !strings.Contains(string(readme), "| [`verify:hello`](docs/steps.md#hello) | the repository says hello |") {
		t.Errorf("the README's step table lacks hello")
	}
	if ref, _ := os.ReadFile(filepath.Join(dir, "docs", "steps.md")); !strings.Contains(string(ref), "## hello\n\n`verify:hello`: the repository says hello.\n\nHello checks that the repository says hello") {
		t.Errorf("the generated reference lacks hello's documentation")
	}
	out, code = run(t, dir, nil, "ci:matrix", "-n=1")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "verify:hello")
	out, code = run(t, dir, []string{"HACKLESS_NO_CACHE=1"}, "verify:hello")
	wantCode(t, out, code, 1)
	wantOutput(t, out, "HELLO: the repository does not say hello", "fix: go -C magefiles tool hackless update:hello")
	out, code = run(t, dir, nil, "update", "-what=hello")
	wantCode(t, out, code, 0)
	if b, _ := os.ReadFile(filepath.Join(dir, "HELLO")); string(b) != "hello\n" {
		t.Errorf("update did not write HELLO:\n%s", out)
	}
}
