package steps

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/jsonfile"
)

// CodegenConfig lists generator commands beyond //go:generate directives,
// unless HACKLESS_CODEGEN names another file. It is JSON:
//
//	{"commands": [{"dir": "staging/src/example.com/api", "run": ["go", "tool", "deepcopy-gen", "./..."]}]}
//
// dir is relative to the workspace root; run is the command and its
// arguments, with tools pinned by tool directives (go tool ...).
const CodegenConfig = "hack/codegen.json"

// Codegen checks that generated files are up to date. It runs the
// generators of every workspace module, the //go:generate directives
// (go generate ./... in each module) and the commands of
// hack/codegen.json, in the hermetic environment, in a scratch copy of
// the working tree (so uncommitted changes are seen and the tree is never
// touched), and reports as diffs the files that would change (stale), that
// would be created (missing), and files marked "Code generated ... DO NOT
// EDIT." that no generator writes any more (extra). A directive that runs
// a tool @latest is an error: pin generators with tool directives and run
// them with go tool.
//
// Update regenerates the same way and then writes the differences into the
// tree, each file atomically, so a generator that fails half way leaves
// the tree as it was.
var Codegen = &build.Step{
	Name:   "codegen",
	Doc:    "generated files are up to date",
	After:  []*build.Step{Workspace, Deps, Tidy},
	Inputs: build.Inputs{Files: []string{"**/*", CodegenConfig}, Env: []string{"HACKLESS_CODEGEN"}, Tools: []string{"go"}, Go: true},
	Writes: []string{"*"},
	Run:    runCodegen,
}

// codegenCommand is one configured generator.
type codegenCommand struct {
	Dir string   `json:"dir"`
	Run []string `json:"run"`
}

func runCodegen(pass *build.Pass) error {
	ws := pass.Workspace
	commands, err := codegenCommands(pass)
	if err != nil || commands == nil {
		return err
	}
	gofiles, err := ws.GoFiles(pass.Context())
	if err != nil {
		return err
	}
	found, err := findDirectives(pass, gofiles)
	if err != nil {
		return err
	}
	directives := len(found)
	for _, d := range found {
		if strings.Contains(d.text, "@latest") {
			pass.Reportf(build.Position{File: d.file, Line: d.line}, "a generator runs @latest, so results change with time: pin it with a tool directive (go get -tool) and run it with go tool")
		}
	}
	for i, c := range commands {
		if slices.ContainsFunc(c.Run, func(a string) bool { return strings.Contains(a, "@latest") }) {
			pass.Reportf(build.Position{File: CodegenConfig}, "command %d runs @latest: pin the generator with a tool directive", i+1)
		}
	}
	if directives == 0 && len(commands) == 0 {
		pass.Notef("no //go:generate directives and no %s: nothing to generate", CodegenConfig)
		return nil
	}
	var generated []string // files marked generated, in the workspace's modules
	for _, f := range gofiles {
		data, err := pass.ReadFile(f)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("DO NOT EDIT")) && generatedMarker.Match(data) {
			generated = append(generated, f)
		}
	}
	scratch, err := scratchCopy(pass)
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	env := pass.Env.With("GOWORK=" + filepath.Join(scratch, "go.work"))
	run := func(dir string, args ...string) error {
		cmd := env.Command(pass.Context(), filepath.Join(scratch, filepath.FromSlash(dir)), args[0], args[1:]...)
		pass.Logf("$ (cd %s && %s)", dir, strings.Join(args, " "))
		_, err := pass.Output(cmd)
		return err
	}
	failed := false
	if directives > 0 {
		for _, m := range ws.Modules {
			if err := run(m.Rel, "go", "generate", "./..."); err != nil {
				if pass.Context().Err() != nil {
					return err
				}
				pass.Reportf(build.Position{File: m.GoModRel()}, "go generate failed: %s", lastLines(err.Error(), 10))
				failed = true
			}
		}
	}
	for i, c := range commands {
		if err := run(c.Dir, c.Run...); err != nil {
			if pass.Context().Err() != nil {
				return err
			}
			pass.Reportf(build.Position{File: CodegenConfig}, "command %d (%s) failed: %s", i+1, strings.Join(c.Run, " "), lastLines(err.Error(), 10))
			failed = true
		}
	}
	if failed {
		return nil // a partial generation proves nothing
	}
	pass.Notef("%d //go:generate directives, %d configured commands", directives, len(commands))
	return proposeScratch(pass, scratch, "generated code", func(rel string) bool { return slices.Contains(generated, rel) })
}

// directive is a //go:generate line.
type directive struct {
	file string
	line int
	text string
}

// findDirectives finds the //go:generate lines of the given Go files with
// one git grep, or by reading the files outside a git work tree.
func findDirectives(pass *build.Pass, gofiles []string) ([]directive, error) {
	want := make(map[string]bool, len(gofiles))
	for _, f := range gofiles {
		want[f] = true
	}
	var out []directive
	cmd := pass.Command(".", "git", "grep", "-n", "-I", "--untracked", "-e", "^//go:generate ", "--", "*.go")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil || errors.As(err, &ee) && ee.ExitCode() == 1: // 1: no match
		for _, line := range strings.Split(stdout.String(), "\n") {
			f, rest, ok := strings.Cut(line, ":")
			n, text, ok2 := strings.Cut(rest, ":")
			ln, err := strconv.Atoi(n)
			if ok && ok2 && err == nil && want[f] {
				out = append(out, directive{f, ln, text})
			}
		}
		return out, nil
	case pass.Context().Err() != nil:
		return nil, pass.Context().Err()
	}
	for _, f := range gofiles { // not a git work tree
		data, err := pass.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if !bytes.Contains(data, []byte("//go:generate ")) {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			if strings.HasPrefix(sc.Text(), "//go:generate ") {
				out = append(out, directive{f, n, sc.Text()})
			}
		}
	}
	return out, nil
}

// codegenCommands reads the configured generators; nil means a usage error
// was returned or a finding reported.
func codegenCommands(pass *build.Pass) ([]codegenCommand, error) {
	name := pass.Getenv("HACKLESS_CODEGEN")
	explicit := name != ""
	if !explicit {
		name = CodegenConfig
	}
	data, err := pass.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return []codegenCommand{}, nil
	}
	if err != nil {
		return nil, &build.UsageError{Err: fmt.Errorf("HACKLESS_CODEGEN: %w", err)}
	}
	var cfg struct {
		Commands []codegenCommand `json:"commands"`
	}
	if err := jsonfile.Decode(name, data, &cfg); err != nil {
		reportConfigError(pass, name, err)
		return nil, nil
	}
	for i, c := range cfg.Commands {
		dir := path.Clean(c.Dir)
		if len(c.Run) == 0 || path.IsAbs(dir) || dir == ".." || strings.HasPrefix(dir, "../") {
			pass.Reportf(build.Position{File: name}, "command %d: want a dir inside the workspace and a non-empty run", i+1)
			return nil, nil
		}
	}
	if cfg.Commands == nil {
		cfg.Commands = []codegenCommand{}
	}
	return cfg.Commands, nil
}
