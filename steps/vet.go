package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hackless/hackless/build"
)

// Vet runs `go vet` over every module of the workspace in one invocation,
// one `./dir/...` pattern per module (`./...` at the root reaches only the
// root module, and the `work` pattern also reaches vendored packages).
// Its JSON output is parsed into findings, because `go vet -json` exits 0
// when it finds problems; type errors, which it prints as text, are findings
// too. There is no update form: vet's findings need a person.
var Vet = &build.Step{
	Name:   "vet",
	Doc:    "go vet finds no problems in any workspace module",
	Inputs: build.Inputs{Tools: []string{"go"}, Go: true},
	Scope:  build.ScopeModuleDeps,
	Run:    runVet,
}

// vetDiagnostic is one diagnostic of `go vet -json`.
type vetDiagnostic struct {
	Posn    string `json:"posn"`
	Message string `json:"message"`
}

func runVet(pass *build.Pass) error {
	if len(pass.Workspace.Modules) == 0 {
		pass.Logf("no modules")
		return nil
	}
	cmd := pass.Command(".", "go", append([]string{"vet", "-json"}, modulePatterns(pass)...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if pass.Context().Err() != nil {
		return pass.Context().Err()
	}
	rel := func(p string) string { return pass.Workspace.Rel(pass.Workspace.Abs(p)) }
	dec := json.NewDecoder(&stdout)
	for {
		var out map[string]map[string]json.RawMessage // package -> analyzer -> diagnostics
		err := dec.Decode(&out)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("parse go vet -json output: %w", err)
		}
		for pkg, analyzers := range out {
			for analyzer, raw := range analyzers {
				var diags []vetDiagnostic
				if err := json.Unmarshal(raw, &diags); err != nil {
					var e struct{ Error string }
					if json.Unmarshal(raw, &e) == nil && e.Error != "" {
						pass.Reportf(build.Position{}, "%s: %s: %s", pkg, analyzer, e.Error)
						continue
					}
					return fmt.Errorf("parse go vet -json output for %s: %w", pkg, err)
				}
				for _, d := range diags {
					f, ok := parsePos(d.Posn+": "+d.Message, rel)
					if !ok {
						f = build.Finding{Message: d.Posn + ": " + d.Message}
					}
					f.Message = fmt.Sprintf("%s (%s)", f.Message, analyzer)
					pass.Report(f)
				}
			}
		}
	}
	var unparsed []string
	typeErrors := 0
	for _, line := range strings.Split(stderr.String(), "\n") {
		if f, ok := parsePos(line, rel); ok {
			pass.Report(f)
			typeErrors++
		} else if line != "" && !strings.HasPrefix(line, "# ") {
			unparsed = append(unparsed, line)
		}
	}
	if runErr != nil && (len(unparsed) > 0 || typeErrors == 0) {
		return fmt.Errorf("go vet: %w\n%s", runErr, strings.Join(unparsed, "\n"))
	}
	return nil
}
