// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"gopkg.in/yaml.v3"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/hermetic"
	"github.com/hackless/hackless/build/workspace"
)

// golangciTools are the tool paths of golangci-lint, v2 and v1.
var golangciTools = []string{
	"github.com/golangci/golangci-lint/v2/cmd/golangci-lint",
	"github.com/golangci/golangci-lint/cmd/golangci-lint",
}

// golangciConfigs are the names golangci-lint reads its configuration from.
var golangciConfigs = []string{".golangci.yml", ".golangci.yaml", ".golangci.toml", ".golangci.json"}

// golangciDirs are where repositories keep their golangci configuration,
// in the order they are searched; Kubernetes's is hack/golangci.yaml.
var golangciDirs = []string{".", "hack", "tools", "internal/tools", "build", ".github"}

// decodeGolangci finds the repository's golangci configuration (as lint
// does) and decodes it, YAML or JSON, into v; it returns the file's name,
// or "" when there is none or it does not decode (lint reports that).
func decodeGolangci(pass *build.Pass, v any) string {
	config, ok := golangciConfig(pass)
	if !ok || config == "" || strings.HasSuffix(config, ".toml") {
		return ""
	}
	data, err := pass.ReadFile(config)
	if err != nil || yaml.Unmarshal(data, v) != nil {
		return ""
	}
	return config
}

// golangciInputs are the globs of every golangci configuration
// golangciConfig may find: an input of each step that reads one.
var golangciInputs = []string{".golangci.*", "hack/.golangci.*", "hack/golangci.*", "tools/.golangci.*", "internal/tools/.golangci.*", "build/.golangci.*", ".github/.golangci.*"}

// DefaultGolangciLint is the golangci-lint version lint runs when no
// module of the repository pins one (lint.version in hackless.yaml
// overrides it).
const DefaultGolangciLint = "v2.6.2"

// golangciConfig returns the golangci configuration lint uses: lint.config
// of hackless.yaml, else the first of golangciConfigs (or, in hack/,
// golangci.yaml without the dot) found in golangciDirs; "" when there is
// none. A configured file that is missing is a configuration error.
func golangciConfig(pass *build.Pass) (string, bool) {
	if c := pass.Config().Lint.Config; c != "" {
		if _, err := pass.Stat(c); err != nil {
			if pass.Step.Name != "lint" {
				return "", true // the lint step reports it, once
			}
			pass.ReportConfig(build.Finding{Pos: build.Position{File: "hackless.yaml", Line: pass.Config().Line("lint", "config")}, Message: fmt.Sprintf("lint.config names %s, which does not exist", c)})
			return "", false
		}
		return c, true
	}
	for _, d := range golangciDirs {
		names := golangciConfigs
		if d == "hack" {
			names = append(slices.Clone(names), "golangci.yaml", "golangci.yml")
		}
		for _, n := range names {
			c := path.Join(d, n)
			if _, err := pass.Stat(c); err == nil {
				return c, true
			}
		}
	}
	return "", true
}

// Lint runs golangci-lint, where the repository has a golangci
// configuration, over the workspace modules (in batches of 25 modules),
// and reports its findings with file and line. Its result is cached
// package by package, as vet's: an edit lints the edited package and its
// importers, unless the configuration enables a linter that compares
// packages with each other (dupl; unparam with check-exported), which
// lints every package; one that reports only issues new since a git
// revision (issues.new-from-rev and the like) is never cached. golangci-lint
// keeps its own analysis cache besides. The configuration is lint.config of
// hackless.yaml, or the first .golangci.{yml,yaml,toml,json} found at the
// root, in hack/ (also golangci.yaml, Kubernetes's), tools/,
// internal/tools/, build/ or .github/.
//
// golangci-lint is the version a module of the tree pins: a tool directive
// (go get -tool …), or a requirement of a tools module (the tools.go
// pattern), built from that module's own build list, as go install
// …@version builds it. Else lint.version of hackless.yaml, else the
// version a Makefile variable (GOLANGCI_LINT_VERSION ?= v2.1.6) or a
// workflow's golangci/golangci-lint-action version: pins, else the
// version hackless pins (DefaultGolangciLint), installed outside every
// build list. lint.timeout (a Go duration) is passed on as --timeout;
// when golangci-lint runs out of time, the finding names the setting. Either is built once per machine, into HACKLESS_CACHE_DIR/tools
// (default os.UserCacheDir()/hackless/tools), named by its version, the
// go.mod and go.sum that pin it and the Go that builds it; a pinning
// module that replaces a module by a directory has the go command build
// it for every run (go tool -n), from its cache. Best kept in a tools module
// that go.work does not use, so that golangci-lint's many requirements
// stay out of the product's build list:
//
//	mkdir -p hack/tools && cd hack/tools && go mod init example.com/hack/tools
//	go get -tool github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.6.2
//
// with "// hackless:exclude ./hack/tools" in go.work. Update runs its
// fixers (--fix) in a scratch copy and writes the changed files.
var Lint = &build.Step{
	Name:   "lint",
	Doc:    "golangci-lint finds no problems",
	Inputs: build.Inputs{Files: append(slices.Clone(golangciInputs), golangciMakeFiles...), Env: []string{"GOPROXY", "GOPRIVATE", "GONOSUMDB"}, Tools: []build.Tool{build.GoCommand}, Go: true},
	Writes: []string{"*.go"},
	Scope:  build.ScopePackage,
	Run:    runLint,
}

func runLint(pass *build.Pass) error {
	ws := pass.Workspace
	config, ok := golangciConfig(pass)
	if !ok {
		return nil
	}
	if config == "" {
		pass.Notef("no golangci-lint configuration (.golangci.{yml,yaml,toml,json} at the root, in hack/, tools/, internal/tools/, build/ or .github/, or lint.config in hackless.yaml): nothing to lint")
		return nil
	}
	bin, err := golangciBinary(pass, config)
	if err != nil || bin == "" {
		return err
	}
	batches, whole := lintPatterns(pass)
	if whole != "" {
		pass.Notef("%s", whole)
	}
	dir := ws.Root
	env := pass.Env
	var scratch string
	if pass.Mode == build.Update {
		if scratch, err = scratchCopy(pass); err != nil {
			return err
		}
		defer removeScratch(scratch)
		work, err := scratchWork(pass, scratch)
		if err != nil {
			return err
		}
		dir, env = scratch, pass.Env.With("GOWORK="+work)
	}
	args := []string{"run", "--config=" + ws.Abs(config), "--output.json.path=stdout", "--output.text.path=stderr", "--path-mode=abs", "--show-stats=false"}
	if scratch != "" {
		args = append(args, "--fix")
	}
	timeout := pass.Config().Lint.Timeout
	if timeout != "" {
		args = append(args, "--timeout="+timeout)
	}
	// One invocation holds every module's packages in memory at once: a
	// large workspace goes in batches of modules, one after another.
	modules := 0
	for i := 0; i < len(batches); i += lintBatch {
		var batch []string
		for _, b := range batches[i:min(i+lintBatch, len(batches))] {
			batch = append(batch, b...)
		}
		n := min(lintBatch, len(batches)-i)
		if stop, err := lintOnce(pass, env, dir, bin, scratch, timeout, args, batch, n, len(batches)); err != nil || stop {
			return err
		}
		modules += n
	}
	pass.Notef("golangci-lint with %s over %d modules", config, modules)
	if scratch != "" {
		return proposeScratch(pass, scratch, "golangci-lint --fix", nil)
	}
	return nil
}

// golangciSettings is what lint reads of a golangci configuration (v1
// or v2) to tell whether its result holds package by package.
type golangciSettings struct {
	Linters struct {
		Default   string                    `yaml:"default"`    // v2: standard, all, none, fast
		EnableAll bool                      `yaml:"enable-all"` // v1
		Enable    []string                  `yaml:"enable"`
		Presets   []string                  `yaml:"presets"`  // v1
		Settings  map[string]map[string]any `yaml:"settings"` // v2
	} `yaml:"linters"`
	LintersSettings map[string]map[string]any `yaml:"linters-settings"` // v1
	Issues          struct {
		New              bool   `yaml:"new"`
		NewFromRev       string `yaml:"new-from-rev"`
		NewFromMergeBase string `yaml:"new-from-merge-base"`
		NewFromPatch     string `yaml:"new-from-patch"`
	} `yaml:"issues"`
}

// lintPatterns returns the package patterns lint gives golangci-lint,
// grouped by module (a batch takes whole groups): the packages whose
// cached pass does not hold (Pass.GoPatterns, less directories this
// platform does not build), so that an edit lints the edited package and
// its importers. Every package of every module is linted instead where
// the configuration enables a linter that compares packages with each
// other (dupl; unparam with check-exported), or cannot be read (TOML):
// whole says so. A configuration that reports only what is new since a
// git revision (issues.new-from-rev and the like) leaves the result
// uncached: it depends on git history, which no key holds.
func lintPatterns(pass *build.Pass) (groups [][]string, whole string) {
	var cfg golangciSettings
	read := decodeGolangci(pass, &cfg) != ""
	if is := cfg.Issues; is.New || is.NewFromRev != "" || is.NewFromMergeBase != "" || is.NewFromPatch != "" {
		pass.NotCached("the golangci configuration reports only issues new since a git revision (issues.new…), which no key holds")
	}
	unparamExported := func(settings map[string]map[string]any) bool {
		v, _ := settings["unparam"]["check-exported"].(bool)
		return v
	}
	l := cfg.Linters
	switch {
	case !read:
		whole = "every package linted: the golangci configuration is not YAML or JSON, so hackless cannot tell whether a linter compares packages with each other"
	case l.Default == "all" || l.EnableAll || len(l.Presets) > 0 || slices.Contains(l.Enable, "dupl"):
		whole = "every package linted: the golangci configuration may enable dupl, which compares packages with each other"
	case slices.Contains(l.Enable, "unparam") && (unparamExported(l.Settings) || unparamExported(cfg.LintersSettings)):
		whole = "every package linted: unparam with check-exported looks at callers in other packages"
	}
	ws := pass.Workspace
	var patterns []string
	if whole == "" {
		patterns = packagePatterns(pass, nil)
	} else {
		for _, m := range ws.Modules {
			patterns = append(patterns, "./"+path.Join(m.Rel, "..."))
		}
	}
	var rels []string
	for _, m := range ws.Modules {
		rels = append(rels, m.Rel)
	}
	owners := workspace.NewOwners(rels)
	index := map[string]int{}
	for _, p := range patterns {
		dir := path.Clean(strings.TrimSuffix(p, "/..."))
		o := owners.Of(path.Join(dir, "x.go"))
		i, ok := index[o]
		if !ok {
			i = len(groups)
			index[o] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], p)
	}
	return groups, whole
}

// golangciBinary returns the path of the golangci-lint binary lint runs:
// the one a module pins by a tool directive (go tool -n builds and caches
// it) or by a requirement (the tools.go pattern: built from that module's
// build list), else DefaultGolangciLint (or lint.version), installed
// outside any build list; both under the output directory, reused.
func golangciBinary(pass *build.Pass, config string) (string, error) {
	ws := pass.Workspace
	dirs, err := ws.ModuleDirs(pass.Context())
	if err != nil {
		return "", err
	}
	var required *modfile.Require
	requiredIn := ""
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
			for _, r := range f.Require {
				if (r.Mod.Path == "github.com/golangci/golangci-lint" || r.Mod.Path == "github.com/golangci/golangci-lint/v2") && required == nil {
					required, requiredIn = r, d
				}
			}
			continue
		}
		if ws.ModuleByPath(f.Module.Mod.Path) != nil {
			pass.Notef("golangci-lint is pinned in %s, a module go.work uses, so its requirements join the workspace's build list", rel)
		}
		goCmd := ownBuildList(pass, d)
		if slices.ContainsFunc(f.Replace, func(r *modfile.Replace) bool { return r.New.Version == "" }) {
			// A directory replace builds from files no name covers: the go
			// command's cache of tool executables answers for every run.
			out, err := pass.Output(goCmd("tool", "-n", tool.Path))
			if err != nil {
				return "", fmt.Errorf("build golangci-lint pinned in %s: %w", rel, err)
			}
			return strings.TrimSpace(string(out)), nil
		}
		// Otherwise go.mod and go.sum name the program (GOWORK=off: the
		// module's own build list), so it is built once per machine, as a
		// tools.go pin is; `go tool -n` would cost over a CPU-second a run
		// even with the executable in the go command's cache.
		return pinnedProgram(pass, d, "golangci-lint", tool.Path, false, goCmd, func(out string) error {
			if _, err := pass.Output(goCmd("build", "-o", out, tool.Path)); err != nil {
				return fmt.Errorf("build golangci-lint pinned in %s: %w", rel, err)
			}
			return nil
		})
	}
	if required != nil {
		pkg := required.Mod.Path + "/cmd/golangci-lint"
		pass.Notef("golangci-lint %s, required by %s/go.mod (the tools.go pattern)", required.Mod.Version, requiredIn)
		goCmd := ownBuildList(pass, requiredIn)
		return pinnedProgram(pass, requiredIn, "golangci-lint@"+required.Mod.Version, pkg, false, goCmd, func(out string) error {
			if _, err := pass.Output(goCmd("build", "-o", out, pkg)); err != nil {
				return fmt.Errorf("build golangci-lint required by %s/go.mod: %w", requiredIn, err)
			}
			return nil
		})
	}
	version := pass.Config().Lint.Version
	switch where, v, err := golangciVersionPin(pass); {
	case err != nil:
		return "", err
	case version != "":
		pass.Notef("golangci-lint %s, lint.version of hackless.yaml", version)
	case v != "":
		version = v
		pass.Notef("golangci-lint %s, the version %s pins", version, where)
	default:
		version = DefaultGolangciLint
		pass.Notef("no module, Makefile or workflow pins golangci-lint, so lint runs %s, the version hackless pins (set lint.version in hackless.yaml, or pin it in a tools module)", version)
	}
	mod := "github.com/golangci/golangci-lint/v2"
	if strings.HasPrefix(version, "v1.") {
		mod = "github.com/golangci/golangci-lint"
	}
	bin, err := cachedProgram(pass, "golangci-lint@"+version, outsideModules(pass), func(out string) error {
		cmd := outsideModules(pass)("install", mod+"/cmd/golangci-lint@"+version)
		cmd.Env = append(cmd.Env, "GOBIN="+filepath.Dir(out))
		if _, err := pass.Output(cmd); err != nil {
			return err
		}
		return os.Rename(filepath.Join(filepath.Dir(out), "golangci-lint"), out)
	})
	if err != nil {
		pass.Reportf(build.Position{File: config, Line: 1}, "golangci-lint %s could not be installed, so this configuration was not checked: %s", version, lastLines(err.Error(), 3))
		return "", nil
	}
	return bin, nil
}

// golangciVersionPins are where repositories pin golangci-lint outside
// go.mod: a Makefile variable (GOLANGCI_LINT_VERSION ?= v2.1.6, and its
// spellings), or the version: input of golangci/golangci-lint-action in
// a workflow.
var (
	makeGolangciRE   = regexp.MustCompile(`(?m)^\s*(?:export\s+)?GOLANGCI(?:_LINT)?_(?:VERSION|VER)\s*[:?!]?=\s*v?(\d+\.\d+\.\d+)\s*(?:#.*)?$`)
	actionGolangciRE = regexp.MustCompile(`uses:\s*golangci/golangci-lint-action@`)
	actionVersionRE  = regexp.MustCompile(`^\s*version:\s*["']?v?(\d+\.\d+\.\d+)["']?\s*(?:#.*)?$`)
)

// golangciMakeFiles are the globs of files golangciVersionPin reads.
var golangciMakeFiles = []string{"Makefile", "*.mk", "**/*.mk", "Makefile.*", ".github/workflows/*"}

// golangciVersionPin finds the golangci-lint version the repository pins
// outside go.mod, and where ("Makefile:12"): "" when none does.
func golangciVersionPin(pass *build.Pass) (where, version string, err error) {
	files, err := pass.Workspace.AllFiles(pass.Context()) // .github/ too
	if err != nil {
		return "", "", err
	}
	return GolangciVersionPin(files, pass.ReadFile)
}

// GolangciVersionPin finds the golangci-lint version pinned outside go.mod
// among files (root-relative), read with read: a Makefile variable or a
// workflow's golangci-lint-action, and where ("Makefile:12"); "" when
// none is.
func GolangciVersionPin(files []string, read func(string) ([]byte, error)) (where, version string, err error) {
	for _, f := range files {
		isMake := slices.ContainsFunc(golangciMakeFiles[:4], func(g string) bool { return build.MatchGlob(g, f) })
		isWorkflow := strings.HasPrefix(f, ".github/workflows/") && (strings.HasSuffix(f, ".yml") || strings.HasSuffix(f, ".yaml"))
		if !isMake && !isWorkflow || strings.Contains("/"+f, "/vendor/") || strings.Contains("/"+f, "/testdata/") || strings.Contains("/"+f, "/third_party/") {
			continue
		}
		data, err := read(f)
		if err != nil {
			return "", "", err
		}
		if isMake {
			if m := makeGolangciRE.FindSubmatchIndex(data); m != nil {
				return fmt.Sprintf("%s:%d", f, 1+bytes.Count(data[:m[0]], []byte("\n"))), "v" + string(data[m[2]:m[3]]), nil
			}
			continue
		}
		// The action's step: its with: version: follows within a few lines.
		lines := strings.Split(string(data), "\n")
		for i, l := range lines {
			if !actionGolangciRE.MatchString(l) {
				continue
			}
			for j := i + 1; j < min(len(lines), i+12); j++ {
				if m := actionVersionRE.FindStringSubmatch(lines[j]); m != nil {
					return fmt.Sprintf("%s:%d", f, j+1), "v" + m[1], nil
				}
				if strings.Contains(lines[j], "uses:") {
					break
				}
			}
		}
	}
	return "", "", nil
}

// lintBatch is the most modules one golangci-lint invocation lints.
var lintBatch = 25

// lintOnce runs golangci-lint once over the package patterns of batch
// (of mods modules, of all) and reports its issues; stop is set when it
// ran out of time (reported).
func lintOnce(pass *build.Pass, env *hermetic.Env, dir, bin, scratch, timeout string, args, batch []string, mods, all int) (stop bool, err error) {
	ws := pass.Workspace
	patterns := batch
	cmd := env.Command(pass.Context(), dir, bin, append(args, patterns...)...)
	pass.Logf("$ %s %s", bin, strings.Join(cmd.Args[1:], " "))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if pass.Context().Err() != nil {
		return true, pass.Context().Err()
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
	if strings.Contains(stderr.String(), "Timeout exceeded") || strings.Contains(stderr.String(), "timeout exceeded") {
		was := "golangci-lint's default"
		if timeout != "" {
			was = timeout
		}
		pass.Report(build.Finding{Pos: build.Position{File: "hackless.yaml", Line: pass.Config().Line("lint", "timeout")}, Message: fmt.Sprintf("golangci-lint ran out of time (%s) over %d modules (of %d, linted %d at a time), so the code was not linted: raise lint.timeout in hackless.yaml", was, mods, all, lintBatch)})
		return true, nil
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &out); err != nil {
		return true, fmt.Errorf("golangci-lint: %v\n%s", runErr, lastLines(stderr.String(), 15))
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
	return false, nil
}
