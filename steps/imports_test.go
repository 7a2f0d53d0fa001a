// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

func TestImports(t *testing.T) {
	files := testws.Staging()
	// cmd/root may use the client, not the helpers, and nothing of the api
	// module even indirectly; a selector for fmt decides nothing.
	files["cmd/root/.import-restrictions"] = `rules:
  - selectorRegexp: example[.]com
    allowedPrefixes:
      - example.com/client
    forbiddenPrefixes:
      - example.com/api/helpers
  - selectorRegexp: example[.]com/api
    transitive: true
    forbiddenPrefixes:
      - example.com/api
  - selectorRegexp: ^fmt$
    allowedPrefixes:
      - fmt/nothing
`
	// The api module: only its own packages and the client may import it.
	files["staging/src/example.com/api/.import-restrictions"] = `{
  "InverseRules": [
    {
      "SelectorRegexp": "example[.]com",
      "AllowedPrefixes": ["example.com/client", "example.com/api"],
      "ForbiddenPrefixes": ["example.com/root"]
    }
  ]
}
`
	// The client's tests may not use the helpers.
	files["staging/src/example.com/client/.import-restrictions"] = "rules:\n  - selectorRegexp: helpers\n    forbiddenPrefixes: [example.com/api/helpers]\n"
	files["staging/src/example.com/client/x_test.go"] = "package client_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/api/helpers\"\n)\n\nfunc TestX(t *testing.T) { _ = helpers.Describe() }\n"
	dir := testws.New(t, files)

	rep, out := runSteps(t, dir, build.Verify, nil, Imports)
	got := findingsOf(rep, "imports")
	wantFindings(t, rep, "imports", out,
		`cmd/root/main.go:6:2: "example.com/root/cmd/root" -> "example.com/api/helpers" is forbidden by cmd/root/.import-restrictions:2 (selectorRegexp "example[.]com")`,
		`cmd/root/.import-restrictions:7: "example.com/root/cmd/root" --> "example.com/api" is forbidden by cmd/root/.import-restrictions:7 (selectorRegexp "example[.]com/api")`,
		`cmd/root/main.go:4:2: "example.com/root/cmd/root" -> "fmt" did not match any rule`,
		`cmd/root/main.go:6:2: "example.com/api/helpers" <- "example.com/root/cmd/root" is forbidden by staging/src/example.com/api/.import-restrictions:3`,
		`staging/src/example.com/client/x_test.go:6:2: "example.com/client" -> "example.com/api/helpers" is forbidden by staging/src/example.com/client/.import-restrictions:2`,
	)
	if strings.Contains(got, `"example.com/api" <- "example.com/client"`) || strings.Contains(got, `-> "example.com/client" is forbidden`) {
		t.Errorf("an allowed import is reported")
	}
	if t.Failed() {
		t.Log(out)
	}

	// A malformed file names its line.
	testws.Write(t, dir, testws.Files{"staging/src/example.com/client/.import-restrictions": "rules:\n  - selectorRegexp: \"(\"\n"})
	rep, _ = runSteps(t, dir, build.Verify, nil, Imports)
	if got := findingsOf(rep, "imports"); !strings.Contains(got, `staging/src/example.com/client/.import-restrictions:2: selectorRegexp "(" does not compile`) || strings.Contains(got, ".import-restrictions: staging") {
		t.Errorf("malformed file:\n%s", got)
	}
}
