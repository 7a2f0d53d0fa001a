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

func TestYAML(t *testing.T) {
	files := testws.Staging()
	files["deploy/app.yaml"] = "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Secret\n"
	files["deploy/broken.yml"] = "a: 1\n---\nb: [1, 2\nc: 3\n"
	files[".github/workflows/ci.yml"] = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n   steps: []\n"
	files["chart/Chart.yaml"] = "apiVersion: v2\nname: app\nversion: 0.1.0\n"
	files["chart/templates/deploy.yaml"] = "metadata:\n  name: {{ .Release.Name }}\n  {{- include \"labels\" . }}\n"
	files["rendered/in.yaml"] = "x: {{ .X }}\n  y: 1\n"
	dir := testws.New(t, files)

	rep, out := runSteps(t, dir, build.Verify, nil, YAML)
	wantFindings(t, rep, "yaml", out,
		// yaml.v3 names the line where the enclosing block starts.
		"deploy/broken.yml:2: does not parse as YAML: did not find expected ',' or ']'",
		".github/workflows/ci.yml:2: does not parse as YAML: did not find expected key",
		"rendered/in.yaml:1: does not parse as YAML:")
	if n := len(result(rep, "yaml").Findings); n != 3 {
		t.Errorf("%d findings, want 3 (Helm templates are left out):\n%s", n, out)
	}
	testws.Write(t, dir, testws.Files{
		"hackless.yaml":            "yaml:\n  exclude: [\"rendered/**\"]\n",
		"deploy/broken.yml":        "a: 1\n---\nb: [1, 2]\nc: 3\n",
		".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: []\n",
	})
	if rep, out := runSteps(t, dir, build.Verify, nil, YAML); rep.ExitCode() != build.ExitOK || !strings.Contains(out, "formatting is not checked") {
		t.Fatalf("fixed, without a yamlfmt configuration:\n%s", out)
	}
	if testing.Short() {
		return
	}
	testws.Write(t, dir, testws.Files{
		".yamlfmt":        "exclude:\n  - chart/templates/**\n  - rendered/**\nformatter:\n  type: basic\n  indent: 2\n",
		"deploy/app.yaml": "apiVersion:    v1\nkind: ConfigMap\ndata:\n    k: v\n",
	})
	rep, out = runSteps(t, dir, build.Verify, nil, YAML)
	wantFindings(t, rep, "yaml", out, "deploy/app.yaml:1: yamlfmt: stale")
	runSteps(t, dir, build.Update, nil, YAML)
	if b, _ := os.ReadFile(filepath.Join(dir, "deploy/app.yaml")); string(b) != "apiVersion: v1\nkind: ConfigMap\ndata:\n  k: v\n" {
		t.Errorf("deploy/app.yaml after update:\n%s", b)
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, YAML); rep.ExitCode() != build.ExitOK {
		t.Errorf("after update:\n%s", out)
	}
}
