package steps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/hackless/hackless/build"
)

// golangciTools are the tool paths of golangci-lint, v2 and v1.
var golangciTools = []string{
	"github.com/golangci/golangci-lint/v2/cmd/golangci-lint",
	"github.com/golangci/golangci-lint/cmd/golangci-lint",
}

// golangciConfigs are the names golangci-lint reads its configuration from.
var golangciConfigs = []string{".golangci.yml", ".golangci.yaml", ".golangci.toml", ".golangci.json"}

// Lint runs golangci-lint, where the repository has a golangci
// configuration at its root, in one invocation over all workspace modules,
// and reports its findings with file and line. golangci-lint must be
// pinned by a tool directive in a tools module that go.work does not use
// (so its many requirements stay out of the product's build list), as
//
//	mkdir -p hack/tools && cd hack/tools && go mod init example.com/hack/tools
//	go get -tool github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.6.2
//
// with "// hackless:exclude ./hack/tools" in go.work. Update runs its
// fixers (--fix) in a scratch copy and writes the changed files.
var Lint = &build.Step{
	Name:   "lint",
	Doc:    "golangci-lint finds no problems",
	Inputs: build.Inputs{Files: []string{".golangci.*"}, Tools: []string{"go", "golangci-lint"}, Go: true},
	Writes: []string{"*.go"},
	Run:    runLint,
}

func runLint(pass *build.Pass) error {
	ws := pass.Workspace
	config := ""
	for _, c := range golangciConfigs {
		if _, err := pass.Stat(c); err == nil {
			config = c
			break
		}
	}
	if config == "" {
		pass.Notef("no golangci-lint configuration (%s): nothing to lint", strings.Join(golangciConfigs, ", "))
		return nil
	}
	bin, err := golangciBinary(pass, config)
	if err != nil || bin == "" {
		return err
	}
	var patterns []string
	for _, m := range ws.Modules {
		patterns = append(patterns, "./"+path.Join(m.Rel, "..."))
	}
	dir := ws.Root
	env := pass.Env
	var scratch string
	if pass.Mode == build.Update {
		if scratch, err = scratchCopy(pass); err != nil {
			return err
		}
		defer os.RemoveAll(scratch)
		dir, env = scratch, pass.Env.With("GOWORK="+filepath.Join(scratch, "go.work"))
	}
	args := []string{"run", "--output.json.path=stdout", "--output.text.path=stderr", "--path-mode=abs", "--show-stats=false"}
	if scratch != "" {
		args = append(args, "--fix")
	}
	cmd := env.Command(pass.Context(), dir, bin, append(args, patterns...)...)
	pass.Logf("$ %s %s", bin, strings.Join(cmd.Args[1:], " "))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if pass.Context().Err() != nil {
		return pass.Context().Err()
	}
	var out struct {
		Issues []struct {
			FromLinter, Text string
			Pos              struct {
				Filename     string
				Line, Column int
			}
		}
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &out); err != nil {
		return fmt.Errorf("golangci-lint: %v\n%s", runErr, lastLines(stderr.String(), 15))
	}
	for _, is := range out.Issues {
		file := is.Pos.Filename
		if scratch != "" {
			if rel, err := filepath.Rel(scratch, file); err == nil {
				file = rel
			}
		}
		pass.Report(build.Finding{
			Pos:     build.Position{File: ws.Rel(ws.Abs(file)), Line: is.Pos.Line, Col: is.Pos.Column},
			Message: fmt.Sprintf("%s (%s)", is.Text, is.FromLinter),
		})
	}
	pass.Notef("golangci-lint with %s over %d modules", config, len(patterns))
	if scratch != "" {
		return proposeScratch(pass, scratch, "golangci-lint --fix", nil)
	}
	return nil
}

// golangciBinary finds the tool directive that pins golangci-lint and
// returns the path of the built tool (go tool -n builds and caches it).
// Without a pin it reports how to add one and returns "".
func golangciBinary(pass *build.Pass, config string) (string, error) {
	ws := pass.Workspace
	dirs, err := ws.ModuleDirs(pass.Context())
	if err != nil {
		return "", err
	}
	for _, d := range dirs {
		rel := path.Join(d, "go.mod")
		data, err := pass.ReadFile(rel)
		if err != nil {
			return "", err
		}
		f, err := modfile.Parse(rel, data, nil)
		if err != nil {
			return "", err
		}
		var tool *modfile.Tool
		for _, t := range f.Tool {
			if slices.Contains(golangciTools, t.Path) {
				tool = t
			}
		}
		if tool == nil {
			continue
		}
		if ws.ModuleByPath(f.Module.Mod.Path) != nil {
			pass.Reportf(build.Position{File: rel, Line: lineOf(tool.Syntax)}, "golangci-lint is pinned in a module go.work uses, so its requirements join the product's build list: move the tool directive to a tools module and keep it out with // hackless:exclude ./<dir> in go.work")
		}
		cmd := pass.Command(d, "go", "tool", "-n", tool.Path)
		cmd.Env = append(cmd.Env, "GOWORK=off")
		out, err := pass.Output(cmd)
		if err != nil {
			return "", fmt.Errorf("build golangci-lint pinned in %s: %w", rel, err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	pass.Reportf(build.Position{File: config, Line: 1}, "this golangci-lint configuration exists but no module pins golangci-lint: mkdir -p hack/tools && cd hack/tools && go mod init <module>/hack/tools && go get -tool github.com/golangci/golangci-lint/v2/cmd/golangci-lint@<version>; then add // hackless:exclude ./hack/tools to go.work")
	return "", nil
}
