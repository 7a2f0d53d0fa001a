// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package adopt makes a repository use hackless, once, changing only what
// that needs: the magefile, the root module's requirement of hackless and
// its tool directives (with the requirements that building them needs,
// at the versions hackless asks for), go.work where the repository keeps
// one, and an ignore rule for _output/. Every change is printed; running
// it again changes nothing.
package adopt

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/atomicfile"
)

// Module is hackless's module path.
const Module = "github.com/hackless/hackless"

// tools are the tool directives adoption adds: Mage, and hackless's
// launcher.
var tools = []string{"github.com/magefile/mage", Module + "/cmd/hackless"}

// Options says how to adopt.
type Options struct {
	Dir     string    // a directory of the repository
	Version string    // the version of hackless to require
	Replace string    // a local checkout of hackless to use instead (Version is then v0.0.0)
	Out     io.Writer // where the changes are listed
}

// magefile is what adoption writes, after the repository's header.
const magefile = `//go:build mage

// The repository's build targets: hackless's verify and update steps (go
// tool mage -l lists them). See https://pkg.go.dev/github.com/hackless/hackless.
package main

import (
	//mage:import
	_ "github.com/hackless/hackless/targets"
	//mage:import verify
	_ "github.com/hackless/hackless/verify"
	//mage:import update
	_ "github.com/hackless/hackless/update"
)
`

// Run adopts hackless into the repository around opts.Dir.
func Run(ctx context.Context, opts Options) error {
	if opts.Replace != "" {
		abs, err := filepath.Abs(opts.Replace)
		if err != nil {
			return err
		}
		opts.Replace, opts.Version = abs, "v0.0.0"
	}
	if opts.Version == "" || opts.Version == "(devel)" {
		return errors.New("no hackless version to require: run it as go run github.com/hackless/hackless/cmd/hackless@<version> init (or pass -replace=<checkout>)")
	}
	root, err := repoRoot(ctx, opts.Dir)
	if err != nil {
		return err
	}
	a := &adopter{ctx: ctx, root: root, out: opts.Out}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("no go.mod at the repository's root %s: hackless is adopted by the root module, which holds the magefile's requirements", root)
	}
	// A root module that is tidy before adoption stays tidy: go mod tidy
	// after the edit changes only what hackless needs (checksums for its
	// tests' dependencies among them). One that is not tidy is left so.
	a.wasTidy = a.goCmd(true, "mod", "tidy", "-diff") == nil
	a.listBefore = a.buildList()
	steps := []func() error{
		a.ignoreOutput,
		a.goWork,
		func() error { return a.writeMagefile() },
		func() error { return a.require(opts.Version, opts.Replace) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	if a.changes == 0 {
		fmt.Fprintln(a.out, "hackless is already adopted: nothing to change")
		return nil
	}
	fmt.Fprintln(a.out, "\nnext: go tool mage verify   (go tool mage -l lists every target)")
	return nil
}

type adopter struct {
	ctx     context.Context
	root    string
	out     io.Writer
	changes int
	wasTidy bool
	// listBefore is the root module's build list before adoption (nil if
	// go list -m all fails there): what alignNew must not move.
	listBefore map[string]string
}

func (a *adopter) changed(format string, args ...any) {
	a.changes++
	fmt.Fprintf(a.out, "  "+format+"\n", args...)
}

// repoRoot is the git work tree's top, else the directory itself.
func repoRoot(ctx context.Context, dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--show-toplevel")
	cmd.Dir = dir
	if out, err := cmd.Output(); err == nil {
		return strings.TrimSpace(string(out)), nil
	}
	return filepath.Abs(dir)
}

// git runs git in the root; ok is false when it exits non-zero.
func (a *adopter) git(args ...string) (string, bool) {
	cmd := exec.CommandContext(a.ctx, "git", args...)
	cmd.Dir = a.root
	out, err := cmd.Output()
	return string(out), err == nil
}

func (a *adopter) isGit() bool {
	_, ok := a.git("rev-parse", "--git-dir")
	return ok
}

// ignoreOutput makes git ignore _output/, where hackless keeps its reports.
func (a *adopter) ignoreOutput() error {
	if !a.isGit() {
		return nil
	}
	if _, ignored := a.git("check-ignore", "-q", "--no-index", "_output/hackless"); ignored {
		return nil
	}
	name := filepath.Join(a.root, ".gitignore")
	data, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	data = append(data, "# hackless's reports and temporary files\n/_output/\n"...)
	if _, err := atomicfile.Write(name, data, 0o644); err != nil {
		return err
	}
	a.changed(".gitignore: added /_output/")
	return nil
}

// goWork creates go.work where the repository has none and does not keep
// it out of git; a repository that ignores go.work gets hackless's own
// view of its workspace at every run instead, and its module-mode builds
// stay as they are.
func (a *adopter) goWork() error {
	if _, err := os.Stat(filepath.Join(a.root, "go.work")); err == nil {
		return nil
	}
	if _, ignored := a.git("check-ignore", "-q", "--no-index", "go.work"); ignored {
		fmt.Fprintln(a.out, "  go.work: ignored by git here, so none is written; hackless builds its own view of the workspace at each run")
		return nil
	}
	// The modules, tools modules and go line of hackless's own view of a
	// repository without go.work are what go.work should hold.
	ws, err := workspace.Load(a.ctx, a.root, nil)
	if err != nil {
		return err
	}
	if !ws.Synthetic {
		return nil // a go.work above the repository encloses it
	}
	goLine := ws.Work.Go.Version
	excluded := slices.Sorted(maps.Keys(workspace.ExcludeComments(ws.WorkData)))
	var uses []string
	for _, m := range ws.Modules {
		uses = append(uses, m.Rel)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "go %s\n\n", goLine)
	if len(excluded) > 0 {
		b.WriteString("// Tools modules stay out of the workspace, so that their requirements\n// never raise the versions the product builds with.\n")
		for _, d := range excluded {
			fmt.Fprintf(&b, "// hackless:exclude ./%s\n", d)
		}
		b.WriteString("\n")
	}
	b.WriteString("use (\n")
	for _, d := range uses {
		if d == "." {
			b.WriteString("\t.\n")
		} else {
			fmt.Fprintf(&b, "\t./%s\n", d)
		}
	}
	b.WriteString(")\n")
	if _, err := modfile.ParseWork("go.work", []byte(b.String()), nil); err != nil {
		return fmt.Errorf("writing go.work: %w", err)
	}
	if _, err := atomicfile.Write(filepath.Join(a.root, "go.work"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	a.changed("go.work: created with go %s (the highest go line of the modules), using %d modules; tools modules left out and marked: %s", goLine, len(uses), strings.Join(orNone(excluded), ", "))
	return nil
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"none"}
	}
	return s
}

// writeMagefile writes magefiles/magefile.go (magefiles/hackless.go when
// the repository already has Mage targets), with the repository's header.
func (a *adopter) writeMagefile() error {
	dir := filepath.Join(a.root, "magefiles")
	name := filepath.Join(dir, "magefile.go")
	entries, err := os.ReadDir(dir)
	if err == nil {
		for _, e := range entries {
			data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			if bytes.Contains(data, []byte(`"github.com/hackless/hackless/verify"`)) {
				return nil // already adopted
			}
		}
		if len(entries) > 0 {
			name = filepath.Join(dir, "hackless.go")
		}
	}
	header := a.header()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, err := atomicfile.Write(name, []byte(header+magefile), 0o644); err != nil {
		return err
	}
	rel, _ := filepath.Rel(a.root, name)
	how := "without a header (no common license header found in the root module's Go files)"
	if header != "" {
		how = "with the repository's header"
	}
	a.changed("%s: written %s", filepath.ToSlash(rel), how)
	return nil
}

var yearRE = regexp.MustCompile(`\b(19|20)\d\d\b`)

// header finds the license header most of the root module's Go files
// start with (years aside), and returns it with this year; "" when there
// is none.
func (a *adopter) header() string {
	out, ok := a.git("ls-files", "-z", "--", "*.go")
	var files []string
	if ok {
		files = strings.Split(out, "\x00")
	}
	counts := map[string]int{}
	total := 0
	for _, f := range files {
		if f == "" || strings.Contains(f, "vendor/") || strings.Contains(f, "testdata/") || strings.Contains(f, "third_party/") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(a.root, f))
		if err != nil || bytes.Contains(data, []byte("DO NOT EDIT")) {
			continue
		}
		total++
		if h := leadingComment(data); h != "" {
			lower := strings.ToLower(h)
			if strings.Contains(lower, "copyright") || strings.Contains(lower, "license") || strings.Contains(lower, "spdx") {
				counts[yearRE.ReplaceAllString(h, "YEAR")]++
			}
		}
		if total >= 200 {
			break
		}
	}
	best, n := "", 0
	for h, c := range counts {
		if c > n || (c == n && h < best) {
			best, n = h, c
		}
	}
	if n == 0 || n*2 < total {
		return ""
	}
	return strings.ReplaceAll(best, "YEAR", strconv.Itoa(time.Now().Year())) + "\n"
}

// leadingComment returns the comment block a Go file starts with, before
// any build constraint, up to the first blank line.
func leadingComment(data []byte) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	inBlock := false
	for sc.Scan() {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		switch {
		case inBlock:
			lines = append(lines, line)
			if strings.Contains(trim, "*/") {
				return strings.Join(lines, "\n") + "\n"
			}
		case strings.HasPrefix(trim, "//go:build") || strings.HasPrefix(trim, "// +build"):
			return strings.Join(lines, "\n")
		case strings.HasPrefix(trim, "/*"):
			inBlock = true
			lines = append(lines, line)
			if strings.Contains(trim[2:], "*/") {
				return strings.Join(lines, "\n") + "\n"
			}
		case strings.HasPrefix(trim, "//"):
			lines = append(lines, line)
		default:
			if len(lines) == 0 {
				return ""
			}
			return strings.Join(lines, "\n") + "\n"
		}
	}
	return ""
}

// require adds hackless's requirement and tool directives to the root
// go.mod, then the requirements that building the magefile and the tools
// needs, as hackless asks for them (go list -mod=mod adds exactly those;
// no other requirement moves), with GOWORK=off so that go.work is not
// consulted; and, where there is a go.work, the checksums the workspace
// needs in go.work.sum, so that the first run writes nothing.
func (a *adopter) require(v, replace string) error {
	gomod := filepath.Join(a.root, "go.mod")
	before, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	f, err := modfile.Parse("go.mod", before, nil)
	if err != nil {
		return err
	}
	var edits []string
	if !slices.ContainsFunc(f.Require, func(r *modfile.Require) bool { return r.Mod.Path == Module }) {
		edits = append(edits, "-require="+Module+"@"+v)
	}
	if replace != "" && !slices.ContainsFunc(f.Replace, func(r *modfile.Replace) bool { return r.Old.Path == Module }) {
		edits = append(edits, "-replace="+Module+"="+replace)
	}
	for _, t := range tools {
		if !slices.ContainsFunc(f.Tool, func(x *modfile.Tool) bool { return x.Path == t }) {
			edits = append(edits, "-tool="+t)
		}
	}
	if len(edits) > 0 {
		if err := a.goCmd(true, append([]string{"mod", "edit"}, edits...)...); err != nil {
			return err
		}
	}
	pkgs := append([]string{"-tags", "mage", "./magefiles"}, tools...)
	settle := func() error {
		if err := a.goCmd(true, append([]string{"list", "-mod=mod", "-deps", "-e=false", "-f", "{{.ImportPath}}"}, pkgs...)...); err != nil {
			return err
		}
		if a.wasTidy {
			return a.goCmd(true, "mod", "tidy")
		}
		return nil
	}
	if err := settle(); err != nil {
		return err
	}
	if !a.wasTidy {
		fmt.Fprintln(a.out, "  go.mod: the root module was not tidy before adoption, so it was not tidied (verify:tidy will say what go mod tidy would change)")
	}
	raised, err := a.alignNew(before, settle)
	if err != nil {
		return err
	}
	after, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	if !bytes.Equal(before, after) {
		a.changed("go.mod: %s", describeEdits(before, after))
	}
	if len(raised) > 0 {
		fmt.Fprintf(a.out, "  go.mod: raised %s: the versions the workspace's other modules require, above the ones hackless asks for, so that every module is required at one version (verify:deps)\n", strings.Join(raised, ", "))
	}
	if _, err := os.Stat(filepath.Join(a.root, "go.work")); err == nil {
		sum := filepath.Join(a.root, "go.work.sum")
		old, _ := os.ReadFile(sum)
		if err := a.goCmd(false, append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, pkgs...)...); err != nil {
			return err
		}
		if now, _ := os.ReadFile(sum); !bytes.Equal(old, now) {
			a.changed("go.work.sum: checksums the workspace needs for hackless added")
		}
	}
	return nil
}

// alignNew raises each requirement that adoption added to the root
// go.mod (one that before lacks) to the highest version the workspace's
// other modules require, where that is higher, and settles go.mod again:
// hackless asks for the lowest versions it needs, and a module the root
// did not require may be one its neighbours require at a newer version
// (golang.org/x/sys, in an OpenTelemetry-like repository), which
// verify:deps's one-version rule would report on the first run. Tools
// modules and deps.ownVersions are out of that rule, and so out of this.
// Each raise that would move a version of the root's build list from
// before adoption is undone, and said: the repository's own versions
// stay. It returns the raises it kept, as "module to version".
func (a *adopter) alignNew(before []byte, settle func() error) ([]string, error) {
	if a.listBefore == nil {
		return nil, nil // no build list to hold the raises against
	}
	ws, err := workspace.Load(a.ctx, a.root, os.Environ())
	if err != nil {
		return nil, nil // verify:workspace will say what is wrong
	}
	root, err := modfile.Parse("go.mod", before, nil)
	if err != nil || root.Module == nil {
		return nil, err
	}
	own := ws.Config.Deps.OwnVersions
	if m := ws.ModuleByPath(root.Module.Mod.Path); m == nil || m.Rel != "." || ws.IsTools(".") || slices.Contains(own, m.Path) {
		return nil, nil
	}
	had := make(map[string]bool)
	for _, r := range root.Require {
		had[r.Mod.Path] = true
	}
	highest := make(map[string]string)
	for _, m := range ws.Modules {
		if m.Rel == "." || ws.IsTools(m.Rel) || slices.Contains(own, m.Path) {
			continue
		}
		for _, r := range m.File.Require {
			if ws.ModuleByPath(r.Mod.Path) == nil && semver.Compare(r.Mod.Version, highest[r.Mod.Path]) > 0 {
				highest[r.Mod.Path] = r.Mod.Version
			}
		}
	}
	below := func() ([]string, error) { // added requirements below the workspace's version
		data, err := os.ReadFile(filepath.Join(a.root, "go.mod"))
		if err != nil {
			return nil, err
		}
		f, err := modfile.Parse("go.mod", data, nil)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, r := range f.Require {
			if !had[r.Mod.Path] && semver.Compare(highest[r.Mod.Path], r.Mod.Version) > 0 {
				out = append(out, r.Mod.Path)
			}
		}
		return out, nil
	}
	candidates, err := below()
	if err != nil {
		return nil, err
	}
	// One raise at a time, kept when it moves nothing of the root's build
	// list. A raised module's own requirements may come in below the
	// workspace's versions in turn: they are raised with it, but for those
	// already refused.
	var kept []string
	refused := make(map[string]bool)
	for _, p := range candidates {
		if now, err := below(); err != nil {
			return nil, err
		} else if !slices.Contains(now, p) {
			continue // raised with an earlier one
		}
		undo, err := a.saveGoMod()
		if err != nil {
			return nil, err
		}
		var raised []string
		trial := func() (why string, err error) {
			raise := []string{p}
			for range 4 {
				var edits []string
				for _, q := range raise {
					edits = append(edits, "-require="+q+"@"+highest[q])
					raised = append(raised, q+" to "+highest[q])
				}
				if err := a.goCmd(true, append([]string{"mod", "edit"}, edits...)...); err != nil {
					return oneLine(err.Error()), nil
				}
				if err := settle(); err != nil {
					return oneLine(err.Error()), nil
				}
				if raise, err = below(); err != nil {
					return "", err
				}
				raise = slices.DeleteFunc(raise, func(q string) bool { return refused[q] })
				if len(raise) == 0 {
					break
				}
			}
			if moved := a.moved(); len(moved) > 0 {
				return "that would move the root's own build list (" + strings.Join(moved, ", ") + ")", nil
			}
			return "", nil
		}
		why, err := trial()
		if err != nil {
			return nil, err
		}
		if why != "" {
			if err := undo(); err != nil {
				return nil, err
			}
			refused[p] = true
			fmt.Fprintf(a.out, "  go.mod: not raised %s, the version the workspace's other modules require, because %s: verify:deps will report it, and go tool mage update:deps raises it\n", strings.Join(raised, ", "), why)
			continue
		}
		kept = append(kept, raised...)
	}
	return kept, nil
}

// oneLine puts the lines of a go command's failure on one line.
func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ")
}

// saveGoMod keeps the root's go.mod and go.sum as they are; the function
// it returns puts them back.
func (a *adopter) saveGoMod() (undo func() error, err error) {
	gomod, gosum := filepath.Join(a.root, "go.mod"), filepath.Join(a.root, "go.sum")
	mod, err := os.ReadFile(gomod)
	if err != nil {
		return nil, err
	}
	sum, _ := os.ReadFile(gosum)
	return func() error {
		if err := os.WriteFile(gomod, mod, 0o644); err != nil {
			return err
		}
		return os.WriteFile(gosum, sum, 0o644)
	}, nil
}

// moved lists the modules of the root's build list before adoption whose
// version is not the same now ("path before -> now"); a build list that
// cannot be listed moves everything.
func (a *adopter) moved() []string {
	now := a.buildList()
	if now == nil {
		return []string{"go list -m all fails"}
	}
	var moved []string
	for _, p := range slices.Sorted(maps.Keys(a.listBefore)) {
		if v := a.listBefore[p]; now[p] != v {
			moved = append(moved, fmt.Sprintf("%s %s -> %s", p, v, now[p]))
		}
	}
	return moved
}

// buildList returns the root module's build list on its own (go list -m
// all), path to version, or nil when the go command cannot list it.
func (a *adopter) buildList() map[string]string {
	cmd := exec.CommandContext(a.ctx, "go", "list", "-m", "all")
	cmd.Dir = a.root
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	list := make(map[string]string)
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) >= 2 {
			list[f[0]] = f[1]
		}
	}
	return list
}

// describeEdits lists the go.mod lines adoption added.
func describeEdits(before, after []byte) string {
	had := map[string]bool{}
	for _, l := range strings.Split(string(before), "\n") {
		had[strings.TrimSpace(l)] = true
	}
	var added []string
	for _, l := range strings.Split(string(after), "\n") {
		if l = strings.TrimSpace(l); l != "" && l != ")" && !had[l] && !strings.HasSuffix(l, "(") {
			added = append(added, l)
		}
	}
	return "added " + strings.Join(added, "; ")
}

// goCmd runs the go command in the root, with GOWORK=off when alone;
// GOFLAGS is cleared so the caller's settings change nothing.
func (a *adopter) goCmd(alone bool, args ...string) error {
	cmd := exec.CommandContext(a.ctx, "go", args...)
	cmd.Dir = a.root
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if alone {
		cmd.Env = append(cmd.Env, "GOWORK=off")
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return nil
}
