// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package adopt makes a repository use hackless, once, beside the product
// and never in it: hackless's requirements live in a module of its own,
// magefiles/ with a go.mod and a go.work of its own (as Mage's issue #502
// and Kubernetes's hack/tools keep build tooling out of the product's
// module). No existing go.mod, go.sum, go.work or go.work.sum is written,
// in any layout: a published library's consumers never inherit hackless,
// no build list of the product moves, and no go.work appears where the
// repository had none. The only existing file adoption may touch is
// .gitignore. Every change is printed; running it again changes nothing.
//
// The nested go.work stops the go command's upward search, so the
// magefiles' module builds the same whether the repository keeps a
// go.work, ignores one or has none, and the repository's go.work never
// sees it. `go -C magefiles tool hackless verify`, from the root, runs
// the targets at the root (see workspace.RepoDir).
package adopt

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/version"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/internal/atomicfile"
)

// Module is hackless's module path.
const Module = "github.com/hackless/hackless"

// Command is what runs a target from the repository's root once hackless
// is adopted: the launcher, in hackless's module.
const Command = "go -C " + config.HacklessModule + " tool hackless"

// minGo is the go line hackless's own go.mod holds: the oldest Go that
// builds it, and so the lowest go line of the module adoption writes.
const minGo = "1.25"

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

// magefile is what adoption writes, after the build constraint and the
// repository's header.
const magefile = `// The repository's build targets: hackless's verify and update steps
// (go -C magefiles tool hackless -l lists them). This directory is a
// module of its own, so that hackless's requirements never join the
// product's. See https://pkg.go.dev/github.com/hackless/hackless.
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

// goWork is the go.work of hackless's module, after its go line.
const goWork = `
use .
`

const goWorkComment = `// hackless's module has a workspace of its own: the go command stops
// here, so the repository's go.work, if it has one, never sees hackless's
// requirements, and this module builds the same in every layout.
`

// Run adopts hackless into the repository around opts.Dir. Everything it
// cannot do is said before anything is written.
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
	a := &adopter{ctx: ctx, root: root, out: opts.Out, dir: filepath.Join(root, config.HacklessModule)}
	if err := a.check(); err != nil {
		return err
	}
	steps := []func() error{
		a.ignore,
		a.module,
		a.writeMagefile,
		func() error { return a.require(opts.Version, opts.Replace) },
		a.writeConfig,
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
	fmt.Fprintf(a.out, "\nnext: %s verify   (%s -l lists every target)\n", Command, Command)
	return nil
}

type adopter struct {
	ctx     context.Context
	root    string
	dir     string // hackless's module: root/magefiles
	out     io.Writer
	changes int

	makeTargets              []string // the Make targets inferMake made steps of
	sharedHeader             *string  // commonHeader, once found
	headerCount, headerTotal int      // how many Go files share it, of how many
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

// check says, before anything is written, what keeps the repository from
// adopting hackless: no Go module at all, or a magefiles directory that
// belongs to the product's root module (Mage targets built with the
// product's requirements), where hackless's module would go.
func (a *adopter) check() error {
	_, errMod := os.Stat(filepath.Join(a.root, "go.mod"))
	_, errWork := os.Stat(filepath.Join(a.root, "go.work"))
	if errMod != nil && errWork != nil {
		if out, _ := a.git("ls-files", "--", "**/go.mod"); strings.TrimSpace(out) == "" {
			return fmt.Errorf("no go.mod or go.work in %s: run hackless init at the root of a Go repository", a.root)
		}
	}
	if _, err := os.Stat(filepath.Join(a.dir, "go.mod")); err == nil {
		return nil // a module of its own already: hackless's, or the repository's tooling
	}
	entries, err := os.ReadDir(a.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") {
			return fmt.Errorf("%s/ holds Mage targets that build in the product's module, where hackless keeps a module of its own: make it one first (cd %s && go mod init <module path>/%s && go mod tidy), then run init again", config.HacklessModule, config.HacklessModule, config.HacklessModule)
		}
	}
	return nil
}

// ignore makes git ignore _output/, where hackless keeps its reports, and
// keeps the files of hackless's module in git where a pattern of the
// repository's would ignore them (go.work, say, which many repositories
// ignore at every depth).
func (a *adopter) ignore() error {
	if !a.isGit() {
		return nil
	}
	var add []string
	if _, ignored := a.git("check-ignore", "-q", "--no-index", "_output/hackless"); !ignored {
		add = append(add, "# hackless's reports and temporary files", "/_output/")
	}
	var keep []string
	for _, f := range []string{"go.mod", "go.sum", "go.work"} {
		rel := config.HacklessModule + "/" + f
		if _, ignored := a.git("check-ignore", "-q", "--no-index", rel); ignored {
			keep = append(keep, "!/"+rel)
		}
	}
	if len(keep) > 0 {
		add = append(add, "# hackless's module keeps its own go.mod, go.sum and go.work")
		add = append(add, keep...)
	}
	if len(add) == 0 {
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
	data = append(data, strings.Join(add, "\n")+"\n"...)
	if _, err := atomicfile.Write(name, data, 0o644); err != nil {
		return err
	}
	var lines []string
	for _, l := range add {
		if !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	a.changed(".gitignore: added %s", strings.Join(lines, ", "))
	return nil
}

// module writes hackless's module where there is none: magefiles/go.mod,
// named after the root module (its path plus /magefiles; plain magefiles
// where there is no root module), with the highest go line of the
// repository's root go.mod and go.work, and at least hackless's; and
// magefiles/go.work, which uses that module alone.
func (a *adopter) module() error {
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return err
	}
	goLine, path := minGo, config.HacklessModule
	if data, err := os.ReadFile(filepath.Join(a.root, "go.mod")); err == nil {
		if f, err := modfile.ParseLax("go.mod", data, nil); err == nil {
			if f.Module != nil {
				path = f.Module.Mod.Path + "/" + config.HacklessModule
			}
			if f.Go != nil && version.Compare("go"+f.Go.Version, "go"+goLine) > 0 {
				goLine = f.Go.Version
			}
		}
	}
	if data, err := os.ReadFile(filepath.Join(a.root, "go.work")); err == nil {
		if f, err := modfile.ParseWork("go.work", data, nil); err == nil && f.Go != nil && version.Compare("go"+f.Go.Version, "go"+goLine) > 0 {
			goLine = f.Go.Version
		}
	}
	gomod := filepath.Join(a.dir, "go.mod")
	if _, err := os.Stat(gomod); errors.Is(err, fs.ErrNotExist) {
		f := new(modfile.File)
		if err := f.AddModuleStmt(path); err != nil {
			return err
		}
		if err := f.AddGoStmt(goLine); err != nil {
			return err
		}
		data, err := f.Format()
		if err != nil {
			return err
		}
		if _, err := atomicfile.Write(gomod, data, 0o644); err != nil {
			return err
		}
		a.changed("%s/go.mod: created, module %s, go %s: hackless's module, beside the product's", config.HacklessModule, path, goLine)
	}
	gowork := filepath.Join(a.dir, "go.work")
	if _, err := os.Stat(gowork); errors.Is(err, fs.ErrNotExist) {
		data := []byte(goWorkComment + "\ngo " + goLine + "\n" + goWork)
		if _, err := modfile.ParseWork("go.work", data, nil); err != nil {
			return fmt.Errorf("writing %s/go.work: %w", config.HacklessModule, err)
		}
		if _, err := atomicfile.Write(gowork, data, 0o644); err != nil {
			return err
		}
		a.changed("%s/go.work: created, using %s/ alone, so that the go command never joins it to the repository's workspace", config.HacklessModule, config.HacklessModule)
	}
	return nil
}

// writeMagefile writes magefiles/magefile.go (magefiles/hackless.go when
// the module already has Go files), with the build constraint first and
// then the repository's header.
func (a *adopter) writeMagefile() error {
	name := filepath.Join(a.dir, "magefile.go")
	entries, err := os.ReadDir(a.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		data, _ := os.ReadFile(filepath.Join(a.dir, e.Name()))
		if bytes.Contains(data, []byte(`"github.com/hackless/hackless/verify"`)) {
			return nil // already adopted
		}
		name = filepath.Join(a.dir, "hackless.go")
	}
	header := a.header()
	content := "//go:build mage\n\n" + header + magefile // header ends with a blank line
	if _, err := atomicfile.Write(name, []byte(content), 0o644); err != nil {
		return err
	}
	rel, _ := filepath.Rel(a.root, name)
	how := "without a header (no common license header found in the repository's Go files)"
	if header != "" {
		how = "with the repository's header"
	}
	a.changed("%s: written %s", filepath.ToSlash(rel), how)
	return nil
}

var yearRE = regexp.MustCompile(`\b(19|20)\d\d\b`)

// header finds the license header most of the repository's Go files
// start with (years aside), and returns it with this year; "" when there
// is none.
func (a *adopter) header() string {
	h := a.commonHeader()
	if h == "" {
		return ""
	}
	return strings.ReplaceAll(h, "YEAR", strconv.Itoa(time.Now().Year())) + "\n"
}

// commonHeader returns the comment block most of the repository's Go
// files start with, their years written YEAR; "" when fewer than half of
// them share one.
func (a *adopter) commonHeader() string {
	if a.sharedHeader != nil {
		return *a.sharedHeader
	}
	out, ok := a.git("ls-files", "-z", "--", "*.go")
	var files []string
	if ok {
		files = strings.Split(out, "\x00")
	}
	counts := map[string]int{}
	total := 0
	for _, f := range files {
		if f == "" || strings.Contains(f, "vendor/") || strings.Contains(f, "testdata/") || strings.Contains(f, "third_party/") || strings.HasPrefix(f, config.HacklessModule+"/") {
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
		best = ""
	}
	a.sharedHeader, a.headerCount, a.headerTotal = &best, n, total
	return best
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

// require adds hackless's requirement and tool directives to hackless's
// module, with a replace where hackless comes from a checkout (relative
// when the checkout is the repository itself), and tidies that module on
// its own: its requirements are hackless's, at the versions hackless asks
// for, and no other module's.
func (a *adopter) require(v, replace string) error {
	gomod := filepath.Join(a.dir, "go.mod")
	before, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	f, err := modfile.Parse(filepath.Join(config.HacklessModule, "go.mod"), before, nil)
	if err != nil {
		return err
	}
	var edits []string
	if !slices.ContainsFunc(f.Require, func(r *modfile.Require) bool { return r.Mod.Path == Module }) {
		edits = append(edits, "-require="+Module+"@"+v)
	}
	if replace != "" && !slices.ContainsFunc(f.Replace, func(r *modfile.Replace) bool { return r.Old.Path == Module }) {
		to := replace
		if rel, err := filepath.Rel(a.dir, replace); err == nil && !strings.HasPrefix(rel, ".."+string(filepath.Separator)+"..") && rel != "." {
			to = filepath.ToSlash(rel) // the repository's own checkout: hackless's own repository
			if !strings.HasPrefix(to, ".") {
				to = "./" + to
			}
		}
		edits = append(edits, "-replace="+Module+"="+to)
	}
	for _, t := range tools {
		if !slices.ContainsFunc(f.Tool, func(x *modfile.Tool) bool { return x.Path == t }) {
			edits = append(edits, "-tool="+t)
		}
	}
	_, noSum := os.Stat(filepath.Join(a.dir, "go.sum"))
	if len(edits) == 0 && noSum == nil {
		return nil
	}
	if len(edits) > 0 {
		if err := a.goCmd(append([]string{"mod", "edit"}, edits...)...); err != nil {
			return err
		}
	}
	if err := a.goCmd("mod", "tidy"); err != nil {
		return err
	}
	after, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	if !bytes.Equal(before, after) {
		a.changed("%s/go.mod: %s", config.HacklessModule, describeEdits(before, after))
	}
	if noSum != nil {
		a.changed("%s/go.sum: created, the checksums of hackless's requirements", config.HacklessModule)
	}
	return nil
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

// goCmd runs the go command in hackless's module on its own (GOWORK=off:
// its go.work uses it alone anyway); GOFLAGS is cleared so the caller's
// settings change nothing.
func (a *adopter) goCmd(args ...string) error {
	cmd := exec.CommandContext(a.ctx, "go", args...)
	cmd.Dir = a.dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), config.HacklessModule, err, stderr.String())
	}
	return nil
}
