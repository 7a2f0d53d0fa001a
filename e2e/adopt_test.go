// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package e2e tests hackless the way an adopter uses it: a generated
// Kubernetes-style workspace with a magefile of a few lines that imports
// hackless from this checkout, driven by real `go tool mage` and
// `go tool hackless` commands.
package e2e

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hackless/hackless/internal/testws"
	"github.com/hackless/hackless/steps"
)

// Magefile is the whole of an adopter's magefile; the README shows it.
const Magefile = `//go:build mage

package main

import (
	//mage:import
	_ "github.com/hackless/hackless/targets"
	//mage:import verify
	_ "github.com/hackless/hackless/verify"
	//mage:import update
	_ "github.com/hackless/hackless/update"
)
`

// OwnersMagefile adds a step of the adopter's own, as the README shows.
const OwnersMagefile = `//go:build mage

package main

import (
	"context"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/targets"
)

// Owners is a step of this repository's own.
var Owners = &build.Step{
	Name:   "owners",
	Doc:    "every OWNERS file names approvers",
	Inputs: build.Inputs{Files: []string{"**/OWNERS"}},
	Run: func(pass *build.Pass) error {
		files, err := pass.InputFiles() // every **/OWNERS
		if err != nil {
			return err
		}
		for _, f := range files {
			b, err := pass.ReadFile(f)
			if err != nil {
				return err
			}
			if !strings.Contains(string(b), "approvers:") {
				pass.Reportf(build.Position{File: f, Line: 1}, "no approvers")
			}
		}
		return nil
	},
}

func init() { targets.Register(Owners) }

// Verify holds this repository's own verify targets, beside the built-in
// ones that //mage:import verify brings: verify:owners.
type Verify mg.Namespace

// Owners checks that every OWNERS file names approvers.
func (Verify) Owners(ctx context.Context) error {
	return targets.Run(ctx, build.Options{Mode: build.Verify}, Owners)
}
`

// testMagefile is a magefile that names the test whose repository holds
// it (after header, the repository's license header). Tests that run
// `go tool mage`, or compile with a binary store of their own, need it:
// two processes that build one main package at once race in the go
// command's build cache ("link: cannot open file DO NOT USE - main build
// pseudo-cache built"), and mage's own binary cache is one per magefile.
func testMagefile(header, test string) string {
	return header + "//go:build mage\n\npackage main\n\n// This repository is " + test + "'s.\n"
}

// adopter writes the staging workspace plus the magefile, requires hackless
// through a replace to this checkout, pins Mage and hackless's launcher as
// tools (as hackless init does), and commits it. Every adopter is the same
// repository, so the launcher compiles its magefile once for all the
// tests that use the shared binary store (see goTool).
func adopter(t *testing.T) string {
	t.Helper()
	return newAdopter(t, nil)
}

// ownAdopter is adopter with a magefile of the test's own (testMagefile),
// for tests that run `go tool mage` or compile outside the shared store.
func ownAdopter(t *testing.T) string {
	t.Helper()
	return newAdopter(t, testws.Files{"magefiles/test.go": testMagefile("", t.Name())})
}

func newAdopter(t *testing.T, extra testws.Files) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: compiles magefiles")
	}
	files := testws.Staging()
	maps.Copy(files, HacklessModule(t, "example.com/root/magefiles"))
	files["magefiles/magefile.go"] = Magefile
	maps.Copy(files, extra)
	dir := testws.New(t, files)
	modTidy(t, dir)
	testws.Git(t, dir)
	return dir
}

// HacklessModule is hackless's module as hackless init writes it, beside
// the product's: magefiles/go.mod, requiring hackless through a replace
// to this checkout and pinning Mage and hackless's launcher as tools, and
// magefiles/go.work, which uses it alone. modTidy completes it.
func HacklessModule(t *testing.T, path string) testws.Files {
	t.Helper()
	checkout, err := filepath.Abs(testws.Checkout())
	if err != nil {
		t.Fatal(err)
	}
	return testws.Files{
		"magefiles/go.mod": "module " + path + "\n\ngo " + testws.GoVersion + "\n\nrequire github.com/hackless/hackless v0.0.0\n\n" +
			"tool (\n\tgithub.com/hackless/hackless/cmd/hackless\n\tgithub.com/magefile/mage\n)\n\nreplace github.com/hackless/hackless => " + checkout + "\n",
		"magefiles/go.work": "go " + testws.GoVersion + "\n\nuse .\n",
	}
}

// modTidy tidies hackless's module of dir (magefiles/) on its own.
func modTidy(t *testing.T, dir string) {
	t.Helper()
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir = filepath.Join(dir, "magefiles")
	tidy.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
}

// run runs the repository's magefile with args in dir, with extra
// environment, through hackless's launcher (`go tool hackless args...`),
// and returns the combined output and the exit code. The launcher compiles
// the magefile once per test and starts it in about 0.4 s, where
// `go tool mage` spends about 1.2 s in go list and go build before every
// run. What the README runs through Mage is tested through Mage: the
// first runs of TestAdoption, TestFirstContact, TestDownloadThenOffline
// and the repair command of TestAdoptionBrokenWorkspace call mage.
func run(t *testing.T, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	return goTool(t, dir, env, "hackless", args...)
}

// hashFast makes mage start the binary it compiled last for the same
// magefile instead of compiling it again, as it does by default to catch
// a change in a dependency. A test sets it on a run after the first,
// when nothing the magefile builds from has changed since.
const hashFast = "MAGEFILE_HASHFAST=1"

// mage runs `go tool mage args...` in dir with extra environment and
// returns the combined output and the exit code.
func mage(t *testing.T, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	return goTool(t, dir, env, "mage", args...)
}

// goTool runs `go -C magefiles tool <tool> args...` in dir, as the README
// tells an adopter to, with the test's environment (toolEnv) and extra
// environment, and returns the combined output and exit code.
func goTool(t *testing.T, dir string, env []string, tool string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"-C", "magefiles", "tool", tool}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(toolEnv(t), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatalf("go tool %s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	return "", -1
}

// toolEnv is the environment of a test's runs: no colors, the test's own
// step cache, and the launcher's binary store that all the tests share
// (binaries are named by what they are built from, so tests with the
// same magefile compile it once).
func toolEnv(t *testing.T) []string {
	return append(os.Environ(), "NO_COLOR=1", "HACKLESS_CACHE_DIR="+cacheDir(t), "HACKLESS_BIN_DIR="+sharedBins(t))
}

var (
	cacheDirs sync.Map // test -> its step cache

	binsOnce sync.Once
	bins     string // the binary store of every test; removed by TestMain
	binsErr  error
)

// sharedBins returns the launcher's binary store that the package's tests
// share.
func sharedBins(t *testing.T) string {
	binsOnce.Do(func() { bins, binsErr = os.MkdirTemp("", "hackless-e2e-bin-") })
	if binsErr != nil {
		t.Fatal(binsErr)
	}
	return bins
}

// cacheDir gives each test a step cache of its own.
func cacheDir(t *testing.T) string {
	if d, ok := cacheDirs.Load(t.Name()); ok {
		return d.(string)
	}
	d := t.TempDir()
	cacheDirs.Store(t.Name(), d)
	return d
}

func TestMain(m *testing.M) {
	testws.OneProcEach()
	code := m.Run()
	if bins != "" {
		os.RemoveAll(bins)
	}
	os.Exit(code)
}

var verdictRE = regexp.MustCompile(`verify: (\d+) passed(?: \(\d+ cached\))?, (\d+) failed`)

// wantVerdict checks the counts of the final verify line.
func wantVerdict(t *testing.T, out string, passed, failed int) {
	t.Helper()
	m := verdictRE.FindStringSubmatch(out)
	if m == nil || m[1] != fmt.Sprint(passed) || m[2] != fmt.Sprint(failed) {
		t.Errorf("want %d passed and %d failed:\n%s", passed, failed, out)
	}
}

func wantCode(t *testing.T, out string, code, want int) {
	t.Helper()
	if code != want {
		t.Fatalf("exit code %d, want %d; output:\n%s", code, want, out)
	}
}

func wantOutput(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestAdoption(t *testing.T) {
	t.Parallel()
	dir := ownAdopter(t)

	out, code := mage(t, dir, nil, "-l")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "verify ", "update ", "verify:gofmt", "verify:vet", "verify:tidy", "verify:workspace",
		"update:gofmt", "update:tidy", "update:workspace")
	if strings.Contains(out, "update:vet") {
		t.Errorf("vet has no update form but is listed:\n%s", out)
	}

	out, code = mage(t, dir, nil, "verify")
	wantCode(t, out, code, 0)
	wantVerdict(t, out, len(steps.All()), 0)
	// Nothing changed: the plan runs nothing, and says so. (Not under
	// MAGEFILE_HASHFAST, which may run a binary its sources moved past,
	// and so keys by the binary's build ID.)
	out, code = mage(t, dir, nil, "plan")
	wantCode(t, out, code, 0)
	wantOutput(t, out, fmt.Sprintf("verify would run 0 of %d steps; nothing was run", len(steps.All())))
	// A step's own target takes verify's flags: -nocache runs it again.
	out, code = mage(t, dir, []string{hashFast}, "verify:gofmt", "-nocache")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "verify: 1 passed, 0 failed")

	// Mage's entry point above; from here on the launcher runs the
	// magefile (another compiled binary: the step cache starts over).
	// The magefile's own step, as the README shows it, joins verify.
	// It imports mage's mg package, so go mod tidy makes mage a direct
	// requirement, as it would for an adopter.
	testws.Write(t, dir, testws.Files{"magefiles/owners.go": OwnersMagefile})
	modTidy(t, dir)
	out, code = run(t, dir, nil, "-l")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "verify:owners", "verify:gofmt")
	if strings.Contains(out, "register") {
		t.Errorf("targets.Register is listed as a target:\n%s", out)
	}
	out, code = run(t, dir, nil, "verify:owners")
	wantCode(t, out, code, 0)
	testws.Write(t, dir, testws.Files{"staging/src/example.com/api/OWNERS": "reviewers:\n"})
	out, code = run(t, dir, nil, "verify")
	wantCode(t, out, code, 1)
	wantOutput(t, out, "staging/src/example.com/api/OWNERS:1: no approvers")
	wantVerdict(t, out, len(steps.All()), 1)
	os.Remove(filepath.Join(dir, "staging/src/example.com/api/OWNERS"))

	// One defect per step.
	testws.Write(t, dir, testws.Files{
		"staging/src/example.com/api/ugly.go":    "package api\n\nfunc   Ugly() {}\n",
		"staging/src/example.com/client/bad.go":  "package client\n\nimport \"fmt\"\n\n// Bad misuses Printf.\nfunc Bad() { fmt.Printf(\"%d\\n\", \"x\") }\n",
		"staging/src/example.com/extra/go.mod":   "module example.com/extra\n\ngo " + testws.GoVersion + "\n",
		"staging/src/example.com/extra/extra.go": "// Package extra is new.\npackage extra\n",
	})
	testws.Replace(t, dir, "staging/src/example.com/api/go.mod", "require example.com/client v0.0.0\n", "")

	out, code = run(t, dir, nil, "verify")
	wantCode(t, out, code, 1)
	wantOutput(t, out,
		"staging/src/example.com/api/ugly.go:3: not formatted with gofmt -s",
		"staging/src/example.com/client/bad.go:6:",
		"staging/src/example.com/api/go.mod",
		"go.work:7: does not use the module in staging/src/example.com/extra",
		"fix: go -C magefiles tool hackless update:gofmt",
		"fix: go -C magefiles tool hackless update:workspace",
		"to apply every proposed change: go -C magefiles tool hackless update:",
		"FAIL",
	)
	if line := regexp.MustCompile(`to apply every proposed change: go -C magefiles tool hackless (.*)`).FindStringSubmatch(out); line == nil ||
		!strings.Contains(line[1], "update:workspace") || !strings.Contains(line[1], "update:gofmt") || !strings.Contains(line[1], "update:tidy") {
		t.Errorf("the combined fix command lacks a step:\n%s", out)
	}
	// tidy runs after workspace but is not skipped by its failure.
	// workspace, gofmt, vet and tidy fail; the others, and owners, pass.
	wantVerdict(t, out, len(steps.All())-4+1, 4)

	// Each step on its own, and a subset the Kubernetes way and by flag.
	for _, step := range []string{"gofmt", "vet", "workspace"} {
		out, code = run(t, dir, nil, "verify:"+step)
		wantCode(t, out, code, 1)
		wantOutput(t, out, "--- FAIL: "+step)
	}
	out, code = run(t, dir, []string{"WHAT=gofmt"}, "verify")
	wantCode(t, out, code, 1)
	if wantVerdict(t, out, 0, 1); strings.Contains(out, "vet") {
		t.Errorf("WHAT=gofmt ran vet:\n%s", out)
	}
	out, code = run(t, dir, nil, "verify", "-what=vet")
	wantCode(t, out, code, 1)
	wantVerdict(t, out, 0, 1)
	out, code = run(t, dir, nil, "verify", "-what=nope")
	wantCode(t, out, code, 2)
	wantOutput(t, out, `unknown step "nope"`)

	// update fixes everything it can; vet needs a person.
	out, code = run(t, dir, nil, "update")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "wrote go.work", "wrote staging/src/example.com/api/ugly.go", "wrote staging/src/example.com/api/go.mod")
	out, code = run(t, dir, nil, "verify")
	wantCode(t, out, code, 1)
	wantOutput(t, out, "--- FAIL: vet")
	wantVerdict(t, out, len(steps.All()), 1)
	os.Remove(filepath.Join(dir, "staging/src/example.com/client/bad.go"))
	out, code = run(t, dir, nil, "verify")
	wantCode(t, out, code, 0)
}

func TestAdoptionBrokenWorkspace(t *testing.T) {
	t.Parallel()
	dir := ownAdopter(t)

	// A use directory that is gone stops every go command, mage included;
	// GOWORK=off lets hackless start and repair it.
	testws.Replace(t, dir, "go.work", ")", "\t./staging/src/example.com/gone\n)")
	out, code := run(t, dir, nil, "verify")
	if code == 0 || !strings.Contains(out, "go.work") {
		t.Fatalf("broken go.work: exit %d\n%s", code, out)
	}
	out, code = run(t, dir, []string{"GOWORK=off"}, "verify:workspace")
	wantCode(t, out, code, 1)
	wantOutput(t, out, "uses ./staging/src/example.com/gone, which has no go.mod")
	// The README's repair command, as it is written there.
	out, code = mage(t, dir, []string{"GOWORK=off"}, "update:workspace")
	wantCode(t, out, code, 0)
	out, code = run(t, dir, nil, "verify")
	wantCode(t, out, code, 0)

	// A malformed go.mod: the go command names it before hackless starts;
	// with GOWORK=off hackless names it too, with exit 2.
	testws.Replace(t, dir, "staging/src/example.com/client/go.mod", "require example.com/api v0.0.0", "require example.com/api")
	out, code = run(t, dir, nil, "verify")
	if code == 0 || !strings.Contains(out, "staging/src/example.com/client/go.mod:5") {
		t.Fatalf("malformed go.mod: exit %d\n%s", code, out)
	}
	out, code = run(t, dir, []string{"GOWORK=off"}, "verify")
	wantCode(t, out, code, 2)
	wantOutput(t, out, "staging/src/example.com/client/go.mod:5")
	testws.Replace(t, dir, "staging/src/example.com/client/go.mod", "require example.com/api", "require example.com/api v0.0.0")

	// A malformed go.work.
	testws.Replace(t, dir, "go.work", "use (", "frobnicate\n\nuse (")
	out, code = run(t, dir, nil, "verify")
	if code == 0 || !strings.Contains(out, "go.work:3") {
		t.Fatalf("malformed go.work: exit %d\n%s", code, out)
	}
	out, code = run(t, dir, []string{"GOWORK=off"}, "verify")
	wantCode(t, out, code, 2)
	wantOutput(t, out, "go.work:3: unknown directive: frobnicate")

	// No go.work at all: hackless checks its own view of the workspace,
	// every module of the tree, and writes nothing into it.
	os.Remove(filepath.Join(dir, "go.work"))
	out, code = run(t, dir, nil, "verify")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "no go.work: the workspace is hackless's own view of 3 modules")
	if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
		t.Error("verify wrote a go.work into the tree")
	}
}
