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

// quoteWorkspace is the staging workspace with real dependencies, tidy.
func quoteWorkspace(t *testing.T) string {
	t.Helper()
	dir := testws.New(t, testws.WithQuote(testws.Staging()))
	testws.Tidy(t, dir, ".", "staging/src/example.com/api", "staging/src/example.com/client")
	return dir
}

func findingsOf(rep *build.Report, step string) string {
	var out []string
	for _, f := range result(rep, step).Findings {
		out = append(out, f.String())
	}
	return strings.Join(out, "\n")
}

func TestDepsOneVersionAndLocalReplaces(t *testing.T) {
	t.Parallel()
	dir := quoteWorkspace(t)
	// A module no other module requires keeps its own version in go.mod,
	// although the workspace builds it with the highest.
	const other = "staging/src/example.com/other/go.mod"
	testws.Write(t, dir, testws.Files{
		other:                                    "module example.com/other\n\ngo " + testws.GoVersion + "\n\nrequire rsc.io/quote v1.5.1\n",
		"staging/src/example.com/other/other.go": "// Package other quotes.\npackage other\n\nimport \"rsc.io/quote\"\n\n// Quote quotes.\nfunc Quote() string { return quote.Glass() }\n",
	})
	testws.Tidy(t, dir, "staging/src/example.com/other")
	testws.Replace(t, dir, "go.work", ")", "\t./staging/src/example.com/other\n)")
	const api = "staging/src/example.com/api/go.mod"
	testws.Replace(t, dir, api, "replace example.com/client => ../client\n", "")

	rep, out := runSteps(t, dir, build.Verify, nil, Deps)
	wantFindings(t, rep, "deps", out, other+":5: requires rsc.io/quote v1.5.1, but v1.5.2 is required by go.mod, staging/src/example.com/api/go.mod, staging/src/example.com/client/go.mod")
	wantFindings(t, rep, "deps", out, api+":6: requires workspace module example.com/client without `replace example.com/client => ../client`")

	// update: deps, then tidy for the new go.sum lines.
	if rep, out := runSteps(t, dir, build.Update, nil, Deps, Tidy); rep.ExitCode() != build.ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, api))
	if !strings.Contains(string(b), "replace example.com/client => ../client") {
		t.Errorf("go.mod after update:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, other)); !strings.Contains(string(b), "rsc.io/quote v1.5.2") {
		t.Errorf("go.mod after update:\n%s", b)
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, All()...); rep.ExitCode() != build.ExitOK {
		t.Fatalf("verify after update:\n%s", out)
	}
}

func TestDepsReplaces(t *testing.T) {
	dir := quoteWorkspace(t)
	const client = "staging/src/example.com/client/go.mod"
	b, _ := os.ReadFile(filepath.Join(dir, client))
	os.WriteFile(filepath.Join(dir, client), append(b, []byte(
		"\nreplace github.com/pkg/errors => github.com/pkg/errors v0.9.1\n"+
			"\nreplace rsc.io/sampler => rsc.io/sampler v1.2.0\n")...), 0o644)
	testws.Tidy(t, dir, "staging/src/example.com/client")

	rep, out := runSteps(t, dir, build.Verify, nil, Deps)
	wantFindings(t, rep, "deps", out, "replace of github.com/pkg/errors is unused")
	wantFindings(t, rep, "deps", out, "rsc.io/sampler is pinned to v1.2.0, but v1.3.0 would be selected without the pin, which breaks consumers of this module: go tool mage update:pin rsc.io/sampler v1.3.0")

	runSteps(t, dir, build.Update, nil, Deps)
	b, _ = os.ReadFile(filepath.Join(dir, client))
	if strings.Contains(string(b), "pkg/errors") || !strings.Contains(string(b), "rsc.io/sampler => rsc.io/sampler v1.2.0") {
		t.Errorf("update must drop the unused replace and keep the pin (it cannot fix that):\n%s", b)
	}
	rep, _ = runSteps(t, dir, build.Verify, nil, Deps)
	if got := findingsOf(rep, "deps"); strings.Contains(got, "unused") || !strings.Contains(got, "pinned to v1.2.0") {
		t.Errorf("after update:\n%s", got)
	}
}

func TestDepsFork(t *testing.T) {
	dir := quoteWorkspace(t)
	const client = "staging/src/example.com/client/go.mod"
	b, _ := os.ReadFile(filepath.Join(dir, client))
	os.WriteFile(filepath.Join(dir, client), append(b, []byte("\nreplace rsc.io/quote => rsc.io/quote/v3 v3.1.0\n")...), 0o644)
	testws.Tidy(t, dir, "staging/src/example.com/client")
	rep, out := runSteps(t, dir, build.Verify, nil, Deps)
	wantFindings(t, rep, "deps", out, "rsc.io/quote is replaced by the fork rsc.io/quote/v3 v3.1.0: revert to the canonical module before merging, or mark the line `// hackless:allow-fork`")

	testws.Replace(t, dir, client, "rsc.io/quote/v3 v3.1.0", "rsc.io/quote/v3 v3.1.0 // hackless:allow-fork: testing")
	rep, out = runSteps(t, dir, build.Verify, nil, Deps)
	if strings.Contains(findingsOf(rep, "deps"), "fork") {
		t.Errorf("an allowed fork is reported:\n%s", out)
	}
}

func TestDepsUnwanted(t *testing.T) {
	dir := quoteWorkspace(t)
	testws.Write(t, dir, testws.Files{UnwantedFile: `{
  "spec": {
    "pinnedModules": {
      "rsc.io/sampler": {
        "version": "v1.2.1",
        "reason": "testing pins"
      }
    },
    "unwantedModules": {
      "golang.org/x/text": "testing",
      "rsc.io/sampler": "unmaintained"
    }
  },
  "status": {
    "unwantedReferences": {
      "golang.org/x/text": [
        "example.com/gone",
        "rsc.io/sampler"
      ]
    }
  }
}
`})
	rep, out := runSteps(t, dir, build.Verify, nil, Deps)
	for _, want := range []string{
		"rsc.io/sampler is pinned to v1.2.1 (testing pins) but v1.3.0 is selected",
		"unwanted module rsc.io/sampler (unmaintained) is newly required by rsc.io/quote",
		`good news: example.com/gone no longer require unwanted module golang.org/x/text; remove "example.com/gone" from status.unwantedReferences["golang.org/x/text"]`,
		"unwanted module rsc.io/sampler (unmaintained) is newly vendored",
		"unwanted module golang.org/x/text (testing) is newly vendored",
	} {
		wantFindings(t, rep, "deps", out, want)
	}
	if !strings.Contains(findingsOf(rep, "deps"), UnwantedFile+":17: good news") {
		t.Errorf("the stale reference is not pointed at its line:\n%s", out)
	}

	runSteps(t, dir, build.Update, nil, Deps)
	b, _ := os.ReadFile(filepath.Join(dir, UnwantedFile))
	want := `"status": {
    "unwantedReferences": {
      "golang.org/x/text": [
        "rsc.io/sampler"
      ],
      "rsc.io/sampler": [
        "rsc.io/quote"
      ]
    },
    "unwantedVendored": [
      "golang.org/x/text",
      "rsc.io/sampler"
    ]
  }`
	if !strings.Contains(string(b), want) || !strings.Contains(string(b), `"reason": "testing pins"`) {
		t.Errorf("status after update:\n%s", b)
	}
	rep, _ = runSteps(t, dir, build.Verify, nil, Deps)
	if got := findingsOf(rep, "deps"); strings.Contains(got, "newly") || strings.Contains(got, "good news") || !strings.Contains(got, "pinned to v1.2.1") {
		t.Errorf("after update only the pin is left:\n%s", got)
	}

	// A workspace module that requires an unwanted module itself.
	testws.Replace(t, dir, UnwantedFile, `"rsc.io/sampler": "unmaintained"`, `"rsc.io/sampler": "unmaintained",
      "rsc.io/quote": "no quotes"`)
	rep, out = runSteps(t, dir, build.Verify, nil, Deps)
	wantFindings(t, rep, "deps", out, "unwanted module rsc.io/quote (no quotes) is newly required by example.com/api")
	wantFindings(t, rep, "deps", out, "unwanted module rsc.io/quote (no quotes) is newly required by example.com/client")

	// A malformed file names its line.
	testws.Replace(t, dir, UnwantedFile, `"spec": {`, `"spec": {,`)
	rep, out = runSteps(t, dir, build.Verify, nil, Deps)
	wantFindings(t, rep, "deps", out, UnwantedFile+":2: invalid character ','")
}

// TestDepsNamesTheModuleThatMoved: when an uncommitted edit raises a
// dependency in one module, the findings name that module and its line,
// not only the modules that stayed.
func TestDepsNamesTheModuleThatMoved(t *testing.T) {
	files := testws.WithQuote(testws.Staging())
	const client = "staging/src/example.com/client/go.mod"
	files[client] = strings.Replace(files[client], "rsc.io/quote v1.5.2", "rsc.io/quote v1.5.1", 1)
	dir := testws.New(t, files)
	testws.Tidy(t, dir, ".", "staging/src/example.com/api", "staging/src/example.com/client")
	testws.Git(t, dir)
	testws.Replace(t, dir, client, "rsc.io/quote v1.5.1", "rsc.io/quote v1.5.2")
	testws.Tidy(t, dir, "staging/src/example.com/client")

	rep, out := runSteps(t, dir, build.Verify, nil, Deps)
	wantFindings(t, rep, "deps", out,
		"staging/src/example.com/api/go.mod:7: rsc.io/quote was raised to v1.5.2 by "+client+":7 (v1.5.1 at HEAD); this module and others still require v1.5.1")
}

// TestDepsReleasedOnTheirOwn: modules released on their own
// (deps.ownVersions, as hackless init records them) keep their own
// minimums and their published sibling versions: the first verify passes,
// a second version among the others is caught, and update raises only
// those, never adding a replace to a module installed with @version.
func TestDepsReleasedOnTheirOwn(t *testing.T) {
	dir := testws.New(t, testws.Files{
		"go.work":         "go 1.25\n\nuse (\n\t./api\n\t./sdk\n\t./exporter\n\t./cmd\n)\n",
		"api/go.mod":      "module example.com/p/api\n\ngo 1.25\n\nrequire golang.org/x/mod v0.20.0\n",
		"sdk/go.mod":      "module example.com/p/sdk\n\ngo 1.25\n\nrequire (\n\texample.com/p/api v0.0.0\n\tgolang.org/x/mod v0.21.0\n\tgolang.org/x/sync v0.8.0\n)\n\nreplace example.com/p/api => ../api\n",
		"exporter/go.mod": "module example.com/p/exporter\n\ngo 1.25\n\nrequire (\n\texample.com/p/sdk v0.0.0\n\tgolang.org/x/sync v0.8.0\n)\n\nreplace example.com/p/sdk => ../sdk\n",
		"cmd/go.mod":      "module example.com/p/cmd\n\ngo 1.25\n\nrequire example.com/p/sdk v1.2.0\n",
		"hackless.yaml":   "deps:\n  ownVersions:\n    - example.com/p/api\n    - example.com/p/cmd\n",
	})
	testws.Git(t, dir)
	if rep, out := runSteps(t, dir, build.Verify, nil, Deps); rep.ExitCode() != build.ExitOK {
		t.Fatalf("the first verify fails on the policy the repository holds:\n%s", out)
	}
	testws.Replace(t, dir, "exporter/go.mod", "golang.org/x/sync v0.8.0", "golang.org/x/sync v0.9.0")
	rep, out := runSteps(t, dir, build.Verify, nil, Deps)
	wantFindings(t, rep, "deps", out, "sdk/go.mod:8: golang.org/x/sync was raised to v0.9.0 by exporter/go.mod:7")
	api, _ := os.ReadFile(filepath.Join(dir, "api/go.mod"))
	cmd, _ := os.ReadFile(filepath.Join(dir, "cmd/go.mod"))
	if rep, out := runSteps(t, dir, build.Update, nil, Deps); rep.ExitCode() != build.ExitOK {
		t.Fatalf("update:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sdk/go.mod")); !strings.Contains(string(b), "golang.org/x/sync v0.9.0") {
		t.Errorf("update did not raise sdk:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "api/go.mod")); string(b) != string(api) {
		t.Errorf("update edited api, released on its own:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "cmd/go.mod")); string(b) != string(cmd) {
		t.Errorf("update edited cmd, released on its own (a replace breaks go install …@version):\n%s", b)
	}
}
