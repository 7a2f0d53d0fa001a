// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/filelock"
)

// A genTool is a program generators run, pinned by the repository.
type genTool struct {
	name string
	pkg  string // the package it is built from
	dir  string // root-relative directory of the module that pins it
	how  string // "tool directive", "tools.go import", "workspace command" or "codegen.tools"
	pos  build.Position
}

// genTools are the programs the repository pins, by name: the tool
// directives of every module of the tree, the blank imports of tools.go
// files (a file named tools.go, or any file of a tools module, that
// imports programs for a "tools" build tag), and codegen.tools of
// hackless.yaml, which wins.
func genTools(pass *build.Pass) (map[string]*genTool, error) {
	ws := pass.Workspace
	dirs, err := ws.ModuleDirs(pass.Context())
	if err != nil {
		return nil, err
	}
	tools := make(map[string]*genTool)
	add := func(t *genTool) {
		if _, ok := tools[t.name]; !ok {
			tools[t.name] = t
		}
	}
	for _, d := range dirs {
		rel := path.Join(d, "go.mod")
		data, err := pass.ReadFile(rel)
		if err != nil {
			return nil, err
		}
		if d == config.HacklessModule {
			continue // hackless's own module: Mage and the launcher generate nothing
		}
		f, err := modfile.Parse(rel, data, nil) // ParseLax would drop the tool directives
		if err != nil {
			continue // the workspace and tidy steps report it
		}
		for _, t := range f.Tool {
			add(&genTool{name: programName(t.Path), pkg: t.Path, dir: d, how: "tool directive", pos: build.Position{File: rel, Line: lineOf(t.Syntax)}})
		}
	}
	files, err := ws.Files(pass.Context())
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if !strings.HasSuffix(f, ".go") || strings.HasSuffix(f, "_test.go") {
			continue
		}
		mod := owningDir(dirs, f)
		if path.Base(f) != "tools.go" && (mod == "" || !ws.IsTools(mod)) {
			continue
		}
		data, err := pass.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, imp := range toolsImports(f, data) {
			add(&genTool{name: programName(imp.path), pkg: imp.path, dir: mod, how: "tools.go import", pos: build.Position{File: f, Line: imp.line}})
		}
	}
	for name, spec := range pass.Config().Codegen.Tools {
		tools[name] = &genTool{name: name, pkg: spec, how: "codegen.tools", pos: build.Position{File: "hackless.yaml", Line: pass.Config().Line("codegen", "tools", name)}}
	}
	return tools, nil
}

// owningDir returns the module directory, of dirs, that holds file: the
// longest that is a prefix; "" when none does.
func owningDir(dirs []string, file string) string {
	best := ""
	found := false
	for _, d := range dirs {
		if (d == "." || strings.HasPrefix(file, d+"/")) && (!found || len(d) > len(best)) {
			best, found = d, true
		}
	}
	if best == "." {
		return "."
	}
	return best
}

type toolsImport struct {
	path string
	line int
}

// toolsImports returns the blank imports of a Go file built only with the
// "tools" tag (//go:build tools), the tools.go pattern of pinning
// programs by requiring their modules.
func toolsImports(name string, data []byte) []toolsImport {
	f, err := parser.ParseFile(token.NewFileSet(), name, data, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return nil
	}
	tagged := false
	for _, g := range f.Comments {
		if g.Pos() > f.Package {
			break
		}
		for _, c := range g.List {
			if expr, err := constraint.Parse(c.Text); err == nil {
				tagged = expr.Eval(func(tag string) bool { return tag == "tools" }) && !expr.Eval(func(string) bool { return false })
			}
		}
	}
	if !tagged {
		return nil
	}
	fset := token.NewFileSet()
	f, _ = parser.ParseFile(fset, name, data, parser.ImportsOnly)
	var out []toolsImport
	for _, spec := range f.Imports {
		if spec.Name == nil || spec.Name.Name != "_" {
			continue
		}
		if p, err := strconv.Unquote(spec.Path.Value); err == nil {
			out = append(out, toolsImport{p, fset.Position(spec.Pos()).Line})
		}
	}
	return out
}

// programName is the name go install and go tool give the program built
// from a package: its last path element, or the one before a major
// version suffix (example.com/cmd/foo/v2 is foo).
func programName(pkg string) string {
	base := path.Base(pkg)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" {
		return path.Base(path.Dir(pkg))
	}
	return base
}

// generatorWords splits a //go:generate line into words as go generate
// does: spaces separate words, and a double-quoted Go string is one word.
func generatorWords(text string) []string {
	line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "//go:generate"))
	var words []string
	for line != "" {
		if line[0] == '"' {
			end := 1
			for end < len(line) && line[end] != '"' {
				if line[end] == '\\' {
					end++
				}
				end++
			}
			if end < len(line) {
				if w, err := strconv.Unquote(line[:end+1]); err == nil {
					words = append(words, w)
					line = strings.TrimSpace(line[end+1:])
					continue
				}
			}
		}
		i := strings.IndexAny(line, " \t")
		if i < 0 {
			i = len(line)
		}
		words = append(words, line[:i])
		line = strings.TrimSpace(line[i:])
	}
	return words
}

// generatorPath prepares what the generators of a run may execute: every
// program a directive or a configured command names is a pinned tool,
// built into a private directory; a program of codegen.path; or a program
// found on PATH outside the directories the go command installs into. A
// program that is none of these is a finding at its directive, saying how
// to pin it. Pinned tools are linked into bin. It returns the PATH for the
// generators and whether every program resolved.
func generatorPath(pass *build.Pass, found []directive, commands []codegenCommand, bin string) (string, bool, error) {
	tools, err := genTools(pass)
	if err != nil {
		return "", false, err
	}
	type use struct {
		name string
		pos  build.Position
	}
	var uses []use
	aliases := make(map[string]map[string]bool) // file -> -command names
	for _, d := range found {
		words := generatorWords(d.text)
		pos := build.Position{File: d.file, Line: d.line}
		if len(words) >= 3 && words[0] == "-command" {
			if aliases[d.file] == nil {
				aliases[d.file] = make(map[string]bool)
			}
			aliases[d.file][words[1]] = true
			words = words[2:]
		}
		if len(words) > 0 && !aliases[d.file][words[0]] {
			uses = append(uses, use{words[0], pos})
		}
	}
	for i, c := range commands {
		uses = append(uses, use{c.Run[0], commandPosition(pass, CodegenConfig, i)})
	}
	ws := pass.Workspace
	var extra []string
	for _, d := range pass.Config().Codegen.Path {
		extra = append(extra, ws.Abs(d))
	}
	var system []string
	var mains map[string]*genTool // the workspace's own main packages, listed on first need
	ok := true
	built := make(map[string]bool)
	for _, u := range uses {
		name := u.name
		if name == "go" {
			continue
		}
		if strings.ContainsAny(name, `/\$`) {
			// A script of the tree, or a variable: what it runs comes
			// from the system's directories (mkdir, sed, …).
			if system == nil {
				system = systemPath(pass)
			}
			continue
		}
		t := tools[name]
		if t == nil {
			if mains == nil {
				if mains, err = workspaceCommands(pass); err != nil {
					return "", false, err
				}
			}
			t = mains[name]
		}
		if t != nil {
			if !built[name] {
				built[name] = true
				if err := buildGenTool(pass, t, bin); err != nil {
					if err := reportGoError(pass, fmt.Sprintf("build %s (%s, %s)", name, t.pkg, t.how), t.dir, err, u.pos); err != nil {
						return "", false, err
					}
					ok = false
				}
			}
			continue
		}
		if system == nil {
			system = systemPath(pass)
		}
		if p := lookProgram(pass, name, slices.Concat(extra, system)); p != "" {
			if _, err := pass.ReadFile(p); err != nil { // the program's content keys the result
				return "", false, err
			}
			continue
		}
		msg := fmt.Sprintf("//go:generate runs %s, which no module pins and no directory of codegen.path holds", name)
		for _, d := range pass.Env.InstallDirs() {
			if _, err := os.Stat(filepath.Join(d, name)); err == nil {
				msg += fmt.Sprintf(" (it is installed by hand in %s, which differs between machines, so hackless leaves that directory off the generators' PATH)", d)
				break
			}
		}
		if strings.HasSuffix(u.pos.File, ".json") {
			msg = strings.Replace(msg, "//go:generate", "the command", 1)
		}
		pass.Report(build.Finding{Pos: u.pos, Message: msg, Detail: fmt.Sprintf("hint: pin it as a tool of a module (a tools module outside go.work keeps its requirements out of the build list): go get -tool <package of %s>@<version>, then run it as go tool %s; or name it in hackless.yaml, codegen.tools: {%s: <package>@<version>}; a directory the repository builds its own tools into goes in codegen.path", name, name, name)})
		ok = false
	}
	return strings.Join(slices.Concat([]string{bin}, extra, system), string(os.PathListSeparator)), ok, nil
}

// buildGenTool builds a pinned program into bin: a tool directive's with
// go tool -n (the go command caches the executable), a tools.go import's
// with go build from the build list of its module (kept under the output
// directory by what it is built from), a configured one with go install
// outside every build list.
func buildGenTool(pass *build.Pass, t *genTool, bin string) error {
	ws := pass.Workspace
	// A module go.work does not use builds with its own build list.
	alone := t.dir == "" || !slices.ContainsFunc(ws.Modules, func(m *workspace.Module) bool { return m.Rel == t.dir })
	inModule := func(args ...string) *exec.Cmd {
		cmd := pass.Command(t.dir, "go", args...)
		if alone {
			cmd.Env = append(cmd.Env, "GOWORK=off")
		}
		return cmd
	}
	link := filepath.Join(bin, t.name)
	switch t.how {
	case "tool directive":
		out, err := pass.Output(inModule("tool", "-n", t.pkg))
		if err != nil {
			return err
		}
		return os.Symlink(strings.TrimSpace(string(out)), link)
	case "tools.go import":
		exe, err := pinnedProgram(pass, t.dir, t.name, t.pkg, !alone, inModule, func(out string) error {
			_, err := pass.Output(inModule("build", "-o", out, t.pkg))
			return err
		})
		if err != nil {
			return err
		}
		return os.Symlink(exe, link)
	case "workspace command":
		// Pinned by the workspace itself: built from its files, as the
		// repository's Makefile builds it (go install ./cmd/gen).
		_, err := pass.Output(pass.Command(".", "go", "build", "-o", link, t.pkg))
		return err
	default: // codegen.tools
		cmd := outsideModules(pass)("install", t.pkg)
		cmd.Env = append(cmd.Env, "GOBIN="+bin)
		if _, err := pass.Output(cmd); err != nil {
			return err
		}
		pkg, _, _ := strings.Cut(t.pkg, "@")
		if installed := programName(pkg); installed != t.name {
			return os.Symlink(filepath.Join(bin, installed), link)
		}
		return nil
	}
}

// systemPath is the caller's PATH without the directories the go command
// installs programs into, whose contents differ from machine to machine.
// Reading it makes the PATH part of the result's key.
func systemPath(pass *build.Pass) []string {
	drop := pass.Env.InstallDirs()
	var out []string
	for _, d := range filepath.SplitList(pass.Getenv("PATH")) {
		if d != "" && filepath.IsAbs(d) && !slices.Contains(drop, filepath.Clean(d)) {
			out = append(out, d)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// lookProgram finds an executable name in dirs; each place it looks is
// recorded, so that a program appearing earlier on the path changes the
// key.
func lookProgram(pass *build.Pass, name string, dirs []string) string {
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := pass.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// toolsDir is where hackless keeps the programs it builds for steps,
// shared by every repository of the machine: HACKLESS_CACHE_DIR/tools,
// else os.UserCacheDir()/hackless/tools, beside the step cache.
func toolsDir() (string, error) {
	return cacheSubdir("tools")
}

// cacheSubdir returns the absolute path of name in the machine's cache
// directory: HACKLESS_CACHE_DIR, by default hackless/ in the user cache
// directory. What is kept there is named by what it is made from, never
// what a step finds, so the variable is not a recorded read (that would
// keep a pass from serving a clone with another cache directory).
func cacheSubdir(name string) (string, error) {
	dir := os.Getenv("HACKLESS_CACHE_DIR")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory for %s: %w", name, err)
		}
		dir = filepath.Join(base, "hackless")
	}
	return filepath.Abs(filepath.Join(dir, name))
}

// cachedProgram returns the program name of toolsDir, building it first
// when it is not there: build writes the executable to the path it is
// given, which is renamed into place, so that runs building the same
// program at once never see half of it, and a lock beside it lets one of
// them build while the others wait (the go command's build cache races
// when two processes link one main package at once). name says what it
// is built from (a version, a hash of the go.mod that pins it); the
// version of the go command that builds it is added, asked of goCmd (a
// go command in the directory and environment of the build), so that a
// repository that moves to another Go builds its programs again: a
// golangci-lint built by an older Go refuses to lint code for a newer one.
// A program is kept while runs use it (see keepProgram).
func cachedProgram(pass *build.Pass, name string, goCmd func(args ...string) *exec.Cmd, build func(exe string) error) (string, error) {
	v, err := pass.Output(goCmd("env", "GOVERSION"))
	if err != nil {
		return "", fmt.Errorf("ask the go command that builds %s for its version: %w", name, err)
	}
	dir, err := toolsDir()
	if err != nil {
		return "", err
	}
	return keepProgram(filepath.Join(dir, name+"-"+fileSafe(strings.TrimSpace(string(v)))), time.Now(), build)
}

// keepProgram returns exe, building it first when it is not there, and
// marks it used (cache.MarkUsed). The step cache's size bound leaves
// programs alone (one costs minutes to build again, an entry one step's
// run); they are kept by last use instead. A program whose mark is older
// than cache.MarkEvery is marked under its lock, so that removeUnused,
// which removes under the same lock, never takes a program a run is about
// to start. After a build, the programs beside exe unused for
// cache.UnusedFor are removed.
func keepProgram(exe string, now time.Time, build func(exe string) error) (string, error) {
	used := func() (fs.FileInfo, bool) {
		fi, err := os.Stat(exe)
		return fi, err == nil && fi.Mode().IsRegular()
	}
	if fi, ok := used(); ok && now.Sub(fi.ModTime()) <= cache.MarkEvery {
		return exe, nil
	}
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		return "", err
	}
	unlock, err := filelock.Lock(exe + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if fi, ok := used(); ok {
		cache.MarkUsed(exe, fi, now)
		return exe, nil // built before, or by another run while this one waited
	}
	if err := buildInto(exe, build); err != nil {
		return "", err
	}
	removeUnused(filepath.Dir(exe), exe, now)
	return exe, nil
}

// removeUnused removes from dir the programs (and their locks) that were
// last used cache.UnusedFor before now, but never keep, and the directories of
// builds interrupted as long ago. Each program goes under its lock, after
// a last look at its time.
func removeUnused(dir, keep string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		fi, err := e.Info()
		if err != nil || p == keep || now.Sub(fi.ModTime()) < cache.UnusedFor {
			continue
		}
		if prog, ok := strings.CutSuffix(p, ".lock"); ok {
			if _, err := os.Stat(prog); errors.Is(err, fs.ErrNotExist) {
				os.Remove(p) // the lock of a build that failed long ago
			}
			continue
		}
		if e.IsDir() {
			if strings.HasPrefix(e.Name(), ".build-") {
				os.RemoveAll(p)
			}
			continue
		}
		unlock, err := filelock.Lock(p + ".lock")
		if err != nil {
			continue
		}
		if fi, err := os.Stat(p); err == nil && now.Sub(fi.ModTime()) >= cache.UnusedFor {
			os.Remove(p)
			os.Remove(p + ".lock")
		}
		unlock()
	}
}

// buildInto has build write an executable beside exe, in a directory of
// its own, and renames it to exe.
func buildInto(exe string, build func(exe string) error) error {
	dir := filepath.Dir(exe)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	built := filepath.Join(tmp, filepath.Base(exe))
	if err := build(built); err != nil {
		return err
	}
	return os.Rename(built, exe)
}

// pinnedProgram is cachedProgram for a program built from the build list
// of the module in dir (root-relative), named by what the module's go.mod
// and go.sum say, and what (the package and how it is built). A module
// that replaces a module by a directory, or one that go.work uses
// (inWorkspace: its build list is the workspace's, whose modules are
// directories too), builds from files no name covers: its program is
// built anew for every run, into the repository's output directory (one
// copy, replaced), and the go command's build cache keeps that cheap.
func pinnedProgram(pass *build.Pass, dir, name, what string, inWorkspace bool, goCmd func(args ...string) *exec.Cmd, build func(exe string) error) (string, error) {
	if inWorkspace {
		exe := filepath.Join(pass.Workspace.OutDir, "tools", name)
		return exe, buildInto(exe, build)
	}
	sum := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		data, _ := pass.ReadFile(path.Join(dir, f))
		sum.Write(data)
		if f == "go.mod" {
			if mf, err := modfile.Parse(f, data, nil); err == nil && slices.ContainsFunc(mf.Replace, func(r *modfile.Replace) bool { return r.New.Version == "" }) {
				exe := filepath.Join(pass.Workspace.OutDir, "tools", name)
				return exe, buildInto(exe, build)
			}
		}
	}
	fmt.Fprint(sum, what)
	return cachedProgram(pass, name+"-"+hex.EncodeToString(sum.Sum(nil))[:16], goCmd, build)
}

// fileSafe makes a go version a part of a file name on every system: a
// development toolchain's is "devel go1.27-abc Tue Nov 3 10:11:12 2026 +0000".
func fileSafe(v string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == '+' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return r
		}
		return '_'
	}, v)
}

// ownBuildList returns a go command that runs in the module at dir
// (root-relative) with the module's own build list (GOWORK=off).
func ownBuildList(pass *build.Pass, dir string) func(args ...string) *exec.Cmd {
	return func(args ...string) *exec.Cmd {
		cmd := pass.Command(dir, "go", args...)
		cmd.Env = append(cmd.Env, "GOWORK=off")
		return cmd
	}
}

// outsideModules returns a go command that installs programs at a version
// (go install pkg@version) outside every build list: in the private
// TMPDIR, with GOWORK=off.
func outsideModules(pass *build.Pass) func(args ...string) *exec.Cmd {
	return func(args ...string) *exec.Cmd {
		cmd := pass.Command(".", "go", args...)
		cmd.Env = append(cmd.Env, "GOWORK=off")
		cmd.Dir = pass.Env.TempDir()
		return cmd
	}
}

// pinnedOrDefault returns the executable of a program steps run: the one
// a module of the tree pins (genTools: a tool directive or a tools.go
// import), else pkg at version, installed once per machine outside every
// build list. cleanup removes what was built for this run only.
func pinnedOrDefault(pass *build.Pass, name, pkg, version string) (string, func(), error) {
	tools, err := genTools(pass)
	if err != nil {
		return "", nil, err
	}
	if t := tools[name]; t != nil && t.how != "codegen.tools" {
		bin, err := os.MkdirTemp(pass.Env.TempDir(), name+"-")
		if err != nil {
			return "", nil, err
		}
		cleanup := func() { os.RemoveAll(bin) }
		if err := buildGenTool(pass, t, bin); err != nil {
			cleanup()
			return "", nil, err
		}
		pass.Notef("%s as %s pins it (%s)", name, t.pos.File, t.how)
		return filepath.Join(bin, name), cleanup, nil
	}
	exe, err := cachedProgram(pass, name+"@"+version, outsideModules(pass), func(out string) error {
		cmd := outsideModules(pass)("install", pkg+"@"+version)
		cmd.Env = append(cmd.Env, "GOBIN="+filepath.Dir(out))
		if _, err := pass.Output(cmd); err != nil {
			return err
		}
		return os.Rename(filepath.Join(filepath.Dir(out), path.Base(pkg)), out)
	})
	return exe, func() {}, err
}

// workspaceCommands are the main packages of the workspace's modules, by
// program name (the last element of the import path, as go install names
// it): a generator the repository builds from its own sources. Two
// commands of one name are left to the pins, which must say which.
func workspaceCommands(pass *build.Pass) (map[string]*genTool, error) {
	pkgs, err := pass.Workspace.Packages(pass.Context())
	if err != nil {
		return nil, err
	}
	out := make(map[string]*genTool)
	twice := make(map[string]bool)
	for _, p := range pkgs {
		if p.Name != "main" || p.Error != nil || p.Module == nil {
			continue
		}
		name := programName(p.ImportPath)
		if out[name] != nil {
			twice[name] = true
			continue
		}
		out[name] = &genTool{name: name, pkg: p.ImportPath, dir: pass.Workspace.Rel(p.Module.Dir), how: "workspace command"}
	}
	for name := range twice {
		delete(out, name)
	}
	return out, nil
}
