// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package adopt

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/testws"
)

// policyRepo is a repository of separately released modules, as the
// OpenTelemetry and gRPC kind keep them: api keeps an older minimum of a
// dependency, cmd requires a published version of its sibling (it is
// installed with go install …@version, so it has no replace), and sdk and
// exporter agree on versions and replace their siblings.
func policyRepo(t *testing.T) string {
	return testws.New(t, testws.Files{
		"go.work":           "go 1.25\n\nuse (\n\t./api\n\t./sdk\n\t./exporter\n\t./cmd\n)\n",
		"api/go.mod":        "module example.com/p/api\n\ngo 1.25\n\nrequire golang.org/x/mod v0.20.0\n",
		"sdk/go.mod":        "module example.com/p/sdk\n\ngo 1.25\n\nrequire (\n\texample.com/p/api v0.0.0\n\tgolang.org/x/mod v0.21.0\n\tgolang.org/x/sync v0.8.0\n)\n\nreplace example.com/p/api => ../api\n",
		"exporter/go.mod":   "module example.com/p/exporter\n\ngo 1.25\n\nrequire (\n\texample.com/p/sdk v0.0.0\n\tgolang.org/x/sync v0.8.0\n)\n\nreplace example.com/p/sdk => ../sdk\n",
		"cmd/go.mod":        "module example.com/p/cmd\n\ngo 1.25\n\nrequire example.com/p/sdk v1.2.0\n",
		"tools/go.mod":      "module example.com/p/tools\n\ngo 1.25\n\nrequire golang.org/x/sync v0.1.0\n",
		"hack/tools/go.mod": "module example.com/p/hack/tools\n\ngo 1.25\n",
	})
}

// TestInferDeps: the modules that do not hold the one-version or the
// sibling-replace rule today are released on their own; tools modules
// are out of it; a repository whose modules agree records none.
func TestInferDeps(t *testing.T) {
	dir := policyRepo(t)
	ws, err := workspace.Load(context.Background(), dir, os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	s := inferDeps(ws)
	if want := "  ownVersions:\n    - example.com/p/api\n    - example.com/p/cmd\n"; s.yaml != want {
		t.Errorf("yaml:\n%s\nwant:\n%s", s.yaml, want)
	}
	why := strings.Join(s.why, "\n")
	for _, w := range []string{
		"example.com/p/api: requires golang.org/x/mod v0.20.0 where sdk/go.mod requires v0.21.0",
		"example.com/p/cmd: requires example.com/p/sdk v1.2.0, a module of this repository, without a replace",
	} {
		if !strings.Contains(why, w) {
			t.Errorf("the comment lacks %q:\n%s", w, why)
		}
	}
	if !s.same(&config.Config{Deps: config.Deps{OwnVersions: []string{"example.com/p/cmd", "example.com/p/api"}}}) || s.same(&config.Config{}) {
		t.Error("same does not compare the recorded modules")
	}

	// Modules that agree: the rules hold for all, and nothing is set.
	testws.Write(t, dir, testws.Files{
		"api/go.mod": "module example.com/p/api\n\ngo 1.25\n\nrequire golang.org/x/mod v0.21.0\n",
		"cmd/go.mod": "module example.com/p/cmd\n\ngo 1.25\n\nrequire example.com/p/sdk v0.0.0\n\nreplace example.com/p/sdk => ../sdk\n",
	})
	if ws, err = workspace.Load(context.Background(), dir, os.Environ()); err != nil {
		t.Fatal(err)
	}
	if s := inferDeps(ws); s.yaml != "" || !strings.Contains(strings.Join(s.why, " "), "Every module (4)") {
		t.Errorf("agreeing modules: %q %q", s.yaml, s.why)
	}
	if s := inferDeps(ws); !s.same(&config.Config{}) {
		t.Error("agreeing modules: an empty ownVersions is not the same")
	}
}

// TestYearOptional: the inferred header pattern matches the header with
// its year, a range of years, or none, and nothing else.
func TestYearOptional(t *testing.T) {
	re := regexp.MustCompile(yearOptional("Copyright YEAR The R Authors."))
	for _, l := range []string{"// Copyright 2024 The R Authors.", "// Copyright The R Authors.", "// Copyright 2019-2024 The R Authors.", "# Copyright 2019, 2020 The R Authors."} {
		if !re.MatchString(l) {
			t.Errorf("%q does not match %s", l, re)
		}
	}
	for _, l := range []string{"// Copyright 2024 The Q Authors.", "// The R Authors."} {
		if re.MatchString(l) {
			t.Errorf("%q matches %s", l, re)
		}
	}
}

// TestInferPlatforms: the platforms a repository builds and tests for
// come from its workflows' runners and matrices, its release
// configuration and its Makefiles; none of them means linux/amd64 alone.
func TestInferPlatforms(t *testing.T) {
	dir := testws.New(t, testws.Files{
		"go.mod":                     "module example.com/p\n\ngo 1.25\n",
		".github/workflows/ci.yml":   "jobs:\n  test:\n    strategy:\n      matrix:\n        os: [ubuntu-latest, macos-14]\n    runs-on: ${{ matrix.os }}\n",
		".goreleaser.yaml":           "builds:\n  - goos:\n      - linux\n      - windows\n    goarch: [amd64]\n",
		"Makefile":                   "PLATFORMS ?= linux/arm64 linux/s390x\n",
		"docs/Makefile.unrelated":    "PLATFORMS = plan9/386\n",
		".github/workflows/lint.yml": "jobs:\n  lint:\n    runs-on: ubuntu-22.04\n",
	})
	testws.Git(t, dir)
	a := &adopter{ctx: context.Background(), root: dir}
	s := a.inferPlatforms()
	if want := "  platforms: [darwin/arm64, linux/amd64, linux/arm64, linux/s390x, windows/amd64]\n"; s.yaml != want {
		t.Errorf("yaml %q, want %q\n%s", s.yaml, want, strings.Join(s.why, "\n"))
	}
	why := strings.Join(s.why, "\n")
	for _, w := range []string{"windows/amd64: .goreleaser.yaml", "darwin/arm64: .github/workflows/ci.yml (runs-on)", "linux/s390x: Makefile"} {
		if !strings.Contains(why, w) {
			t.Errorf("the comment lacks %q:\n%s", w, why)
		}
	}

	bare := testws.New(t, testws.Files{"go.mod": "module example.com/p\n\ngo 1.25\n"})
	testws.Git(t, bare)
	if s := (&adopter{ctx: context.Background(), root: bare}).inferPlatforms(); s.yaml != "  platforms: [linux/amd64]\n" {
		t.Errorf("no CI or release configuration: %q", s.yaml)
	}
}

// TestInferMake: the targets make verify depends on, as make expands
// them, become the day-one steps; one that runs the others is left out,
// one that needs containers is marked uncached.
func TestInferMake(t *testing.T) {
	dir := testws.New(t, testws.Files{
		"go.mod": "module example.com/p\n\ngo 1.25\n",
		"Makefile": "VERIFY_TARGETS = verify-gofmt verify-gen\n.PHONY: verify $(VERIFY_TARGETS)\n\nverify: $(VERIFY_TARGETS) verify-e2e verify-all-the-rest\n\n" +
			"verify-gofmt:\n\tgofmt -l .\n\nverify-gen:\n\tgo generate ./... && git diff --exit-code\n\nverify-e2e:\n\tdocker run --rm e2e\n\nverify-all-the-rest:\n\t$(MAKE) verify-gofmt\n",
	})
	testws.Git(t, dir)
	s := (&adopter{ctx: context.Background(), root: dir}).inferMake()
	for _, want := range []string{"    - target: verify-gofmt\n", "    - target: verify-gen\n", "    - target: verify-e2e\n      uncached: true", "# verify-all-the-rest runs other targets: left out"} {
		if !strings.Contains(s.yaml, want) {
			t.Errorf("lacks %q:\n%s", want, s.yaml)
		}
	}
	if _, err := config.Parse([]byte("make:\n" + s.yaml)); err != nil {
		t.Errorf("what init writes does not parse: %v\n%s", err, s.yaml)
	}
	a := &adopter{ctx: context.Background(), root: dir}
	a.inferMake()
	sh := inferShadow(a.makeTargets)
	if want := "  - builtin: gofmt\n    own: make-verify-gofmt\n  - builtin: codegen\n    own: make-verify-gen\n"; sh.yaml != want {
		t.Errorf("shadow pairs:\n%s\nwant:\n%s", sh.yaml, want)
	}
	if _, err := config.Parse([]byte("shadow:\n" + sh.yaml)); err != nil {
		t.Errorf("the shadow pairs do not parse: %v", err)
	}
}
