package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

func TestLintConfiguredWithoutPin(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	testws.Write(t, dir, testws.Files{".golangci.yml": "version: \"2\"\n"})
	rep, out := runSteps(t, dir, build.Verify, nil, Lint)
	if !strings.Contains(findingsOf(rep, "lint"), ".golangci.yml:1: this golangci-lint configuration exists but no module pins golangci-lint") {
		t.Errorf("configuration without a pin:\n%s", out)
	}
}

func TestLint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds golangci-lint")
	}
	files := testws.Staging()
	files["go.work"] = "// hackless:exclude ./hack/tools\n\n" + files["go.work"]
	files["hack/tools/go.mod"] = "module example.com/hack/tools\n\ngo " + testws.GoVersion + "\n\ntool github.com/golangci/golangci-lint/v2/cmd/golangci-lint\n\nrequire github.com/golangci/golangci-lint/v2 v2.6.2\n"
	files[".golangci.yml"] = "version: \"2\"\nlinters:\n  default: none\n  enable:\n    - errcheck\n    - misspell\n"
	files["staging/src/example.com/client/lint.go"] = "package client\n\nimport \"os\"\n\n// Clean removes the file we recieve.\nfunc Clean() {\n\tos.Remove(\"x\")\n}\n"
	dir := testws.New(t, files)
	testws.Tidy(t, dir, "hack/tools")

	rep, out := runSteps(t, dir, build.Verify, nil, Lint)
	wantFindings(t, rep, "lint", out,
		"staging/src/example.com/client/lint.go:7:11: Error return value of `os.Remove` is not checked (errcheck)",
		"staging/src/example.com/client/lint.go:5:", "(misspell)",
	)

	runSteps(t, dir, build.Update, nil, Lint)
	b, _ := os.ReadFile(filepath.Join(dir, "staging/src/example.com/client/lint.go"))
	if !strings.Contains(string(b), "we receive") {
		t.Errorf("update did not apply the misspell fix:\n%s", b)
	}
	rep, _ = runSteps(t, dir, build.Verify, nil, Lint)
	if got := findingsOf(rep, "lint"); strings.Contains(got, "misspell") || !strings.Contains(got, "errcheck") {
		t.Errorf("after update only errcheck is left:\n%s", got)
	}

	// Pinned in a workspace module: reported.
	testws.Replace(t, dir, "go.work", "// hackless:exclude ./hack/tools\n", "")
	testws.Replace(t, dir, "go.work", ")", "\t./hack/tools\n)")
	rep, _ = runSteps(t, dir, build.Verify, nil, Lint)
	if got := findingsOf(rep, "lint"); !strings.Contains(got, "hack/tools/go.mod:5: golangci-lint is pinned in a module go.work uses") {
		t.Errorf("a pin in the build list is not reported:\n%s", got)
	}
}
