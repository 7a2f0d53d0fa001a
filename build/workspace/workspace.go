// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package workspace models a Go workspace: the go.work file at its root,
// the modules it uses, and the go.mod files found in the tree. It is loaded
// once per run and shared by every step; what costs a subprocess (the file
// list, the package list) is computed on first use and then reused.
package workspace

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/version"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/build/hermetic"
	"github.com/hackless/hackless/internal/atomicfile"
)

// Workspace is a loaded go.work and its modules.
type Workspace struct {
	Root     string // absolute directory holding go.work
	WorkFile string // absolute path of go.work (see Synthetic)
	// Synthetic says that the repository has no go.work, and WorkFile is
	// the one hackless wrote outside the tree (see Load).
	Synthetic bool
	Work      *modfile.WorkFile
	WorkData  []byte // go.work as read

	// Modules are the modules that go.work uses, in go.work order.
	Modules []*Module
	// MissingUses are use directives whose directory holds no go.mod,
	// as written in go.work.
	MissingUses []string

	// Config is the repository's hackless.yaml (defaults when absent).
	Config *config.Config

	// OutDir is where the run keeps reports and temporary files: see
	// OutputDir.
	OutDir string

	// Env is the hermetic environment for every command of the run.
	Env *hermetic.Env

	excludes map[string]bool // hackless:exclude comments of go.work

	files      once[[]string]
	allFiles   once[[]string]
	goFiles    once[[]string]
	moduleDirs once[[]string]
	owners     once[*Owners]
	packages   once[[]*Package]
	deps       once[[]*Package]
	depsOnMu   sync.Mutex
	depsOn     map[string][]*Package // DepsOn, by platforms

	privateDir string // the directory of the private go.work copy, removed by Close
}

// Module is one module of the workspace.
type Module struct {
	Path  string // module path
	Dir   string // absolute directory
	Rel   string // slash-separated directory relative to the root; "." for the root
	GoMod string // absolute path of go.mod
	File  *modfile.File
	Data  []byte // go.mod as read
}

// GoModRel returns the slash-separated path of go.mod relative to the root.
func (m *Module) GoModRel() string { return path.Join(m.Rel, "go.mod") }

// NotFoundError says that no go.work encloses a directory.
type NotFoundError struct {
	Dir   string
	GoMod string // the nearest enclosing go.mod, if any
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("no go.work in %s or any parent directory: hackless runs in a Go workspace", e.Dir)
	if e.GoMod != "" {
		return msg + fmt.Sprintf("; to make one around the module at %s run: cd %s && go work init && go work use -r .", filepath.Dir(e.GoMod), filepath.Dir(e.GoMod))
	}
	return msg + "; create one at your repository's root with: go work init && go work use -r ."
}

// FindRoot returns the directory of the go.work that encloses dir, walking
// up as the go command does. The caller's GOWORK is deliberately ignored:
// hackless always works on the go.work of the tree it runs in.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	var gomod string
	for d := dir; ; {
		if fi, err := os.Stat(filepath.Join(d, "go.work")); err == nil && !fi.IsDir() {
			return d, nil
		}
		if gomod == "" {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				gomod = filepath.Join(d, "go.mod")
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", &NotFoundError{Dir: dir, GoMod: gomod}
		}
		d = parent
	}
}

// RepoDir returns the directory hackless works on when started in dir:
// dir itself, or the repository around it when dir is hackless's own
// module (config.HacklessModule, a magefiles directory with a go.mod of
// its own), where `go -C magefiles tool hackless` and
// `cd magefiles && go tool mage` start. The go.work of that module is
// hackless's, never the product's.
func RepoDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil || filepath.Base(abs) != config.HacklessModule {
		return dir
	}
	if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
		return dir
	}
	return filepath.Dir(abs)
}

// Command returns the command that runs a target of the repository from
// its root: the launcher in hackless's own module where adoption made
// one, else Mage, with the magefiles part of the root module.
func (ws *Workspace) Command() string { return CommandAt(ws.Root) }

// CommandAt is Command for the repository whose root is dir.
func CommandAt(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, config.HacklessModule, "go.mod")); err == nil {
		return "go -C " + config.HacklessModule + " tool hackless"
	}
	return "go tool mage"
}

// RootOf returns the root of the workspace enclosing dir, as Load finds
// it, without loading the workspace.
func RootOf(ctx context.Context, dir string) (string, error) {
	dir = RepoDir(dir)
	root, err := FindRoot(dir)
	var notFound *NotFoundError
	if errors.As(err, &notFound) {
		if top := syntheticRoot(ctx, dir, notFound.GoMod); top != "" {
			return top, nil
		}
	}
	return root, err
}

// syntheticRoot is the root of a repository without a go.work: the git
// work tree's top (whose modules may all be in directories below it),
// else the directory of the nearest go.mod; "" when there is neither.
func syntheticRoot(ctx context.Context, dir, gomod string) string {
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--show-toplevel")
	cmd.Dir = dir
	if out, err := cmd.Output(); err == nil {
		if top := strings.TrimSpace(string(out)); top != "" {
			return top
		}
	}
	if gomod == "" {
		return ""
	}
	return filepath.Dir(gomod)
}

// Load finds the workspace enclosing dir (see RepoDir) and parses go.work and the go.mod
// of every module it uses. A malformed file is an error naming the file and
// line. A use directive whose directory has no go.mod is recorded in
// MissingUses rather than failing, so that the workspace can be repaired.
// caller is the environment to build the hermetic one from (nil: the
// process's own).
//
// A repository without a go.work (one that keeps it out of git, or builds
// each module on its own) gets one built by hackless, outside the tree:
// its root is the git work tree's top (else the nearest go.mod's
// directory), it uses every module in the tree but the tools modules
// (config.Excluded), and its go line is the highest of theirs. The
// repository is not asked to commit a go.work, and its own module-mode
// builds are untouched.
func Load(ctx context.Context, dir string, caller []string) (*Workspace, error) {
	dir = RepoDir(dir)
	root, err := FindRoot(dir)
	var notFound *NotFoundError
	if errors.As(err, &notFound) {
		if top := syntheticRoot(ctx, dir, notFound.GoMod); top != "" {
			return loadSynthetic(ctx, top, caller)
		}
	}
	if err != nil {
		return nil, err
	}
	ws := &Workspace{Root: root, WorkFile: filepath.Join(root, "go.work")}
	if ws.Config, err = LoadConfig(root); err != nil {
		return nil, err
	}
	ws.WorkData, err = os.ReadFile(ws.WorkFile)
	if err != nil {
		return nil, err
	}
	if err := ws.parseWork(); err != nil {
		return nil, err
	}
	return ws, ws.setEnv(ctx, caller)
}

// parseWork parses WorkData and loads the modules it uses.
func (ws *Workspace) parseWork() error {
	var err error
	ws.Work, err = modfile.ParseWork("go.work", ws.WorkData, nil)
	if err != nil {
		return fmt.Errorf("%w\n(fix go.work by hand; `go work edit -fmt` reformats it)", err)
	}
	root := ws.Root
	ws.excludes = ExcludeComments(ws.WorkData)
	for _, u := range ws.Work.Use {
		mod, err := LoadModule(root, u.Path)
		if errors.Is(err, fs.ErrNotExist) {
			ws.MissingUses = append(ws.MissingUses, u.Path)
			continue
		}
		if err != nil {
			return err
		}
		ws.Modules = append(ws.Modules, mod)
	}
	return nil
}

// setEnv builds the hermetic environment of the run.
func (ws *Workspace) setEnv(ctx context.Context, caller []string) error {
	var toolchain string
	if ws.Work.Toolchain != nil {
		toolchain = ws.Work.Toolchain.Name
	}
	if ws.OutDir == "" {
		ws.OutDir = OutputDir(ws.Root)
	}
	work, err := ws.privateWork()
	if err != nil {
		return err
	}
	ws.Env, err = hermetic.New(ctx, hermetic.Config{Root: ws.Root, TempDir: filepath.Join(ws.OutDir, "tmp"), WorkFile: work, Toolchain: toolchain, Caller: caller})
	return err
}

// privateWork returns the go.work the run's go commands use: a copy of
// the tree's (WorkCopy), with its go.work.sum, in a directory of this
// load's own under the output directory, so that no go command a step
// runs writes the tree's go.work.sum (it appends checksums of modules it
// downloads); hackless's own go.work where the repository has none.
// Copies older than a day, left by runs that ended, are removed. A
// vendored workspace (vendor/modules.txt beside go.work) keeps the tree's
// go.work: vendor mode needs vendor/ beside it, with paths relative to it,
// and downloads nothing.
func (ws *Workspace) privateWork() (string, error) {
	if ws.Synthetic || ws.WorkData == nil {
		return ws.WorkFile, nil
	}
	if _, err := os.Stat(filepath.Join(ws.Root, "vendor", "modules.txt")); err == nil {
		return ws.WorkFile, nil
	}
	base := filepath.Join(ws.OutDir, "work")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	if entries, err := os.ReadDir(base); err == nil {
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
				os.RemoveAll(filepath.Join(base, e.Name()))
			}
		}
	}
	dir, err := os.MkdirTemp(base, "run-")
	if err != nil {
		return "", err
	}
	ws.privateDir = dir
	return WorkCopy(ws.Root, ws.WorkData, dir)
}

// Close removes the private copy of go.work the workspace's go commands
// used (see privateWork): call it when no step uses the workspace any
// more. A copy a run that was killed left behind is removed by a later
// load once it is a day old.
func (ws *Workspace) Close() error {
	if ws.privateDir == "" {
		return nil
	}
	err := os.RemoveAll(ws.privateDir)
	ws.privateDir = ""
	return err
}

// LoadConfig reads root/hackless.yaml; its absence means the defaults.
func LoadConfig(root string) (*config.Config, error) {
	data, err := os.ReadFile(filepath.Join(root, config.File))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return config.Parse(data)
}

// loadSynthetic loads the workspace of a repository without go.work,
// whose root is root (see Load).
func loadSynthetic(ctx context.Context, root string, caller []string) (*Workspace, error) {
	ws := &Workspace{Root: root, Synthetic: true, OutDir: OutputDir(root), Work: new(modfile.WorkFile)}
	ws.WorkFile = filepath.Join(ws.OutDir, "go.work")
	var err error
	if ws.Config, err = LoadConfig(root); err != nil {
		return nil, err
	}
	if err := ws.setEnv(ctx, caller); err != nil {
		return nil, err
	}
	dirs, err := ws.ModuleDirs(ctx)
	if err != nil {
		return nil, err
	}
	goLine := "1.21"
	var uses, excluded []string
	for _, d := range dirs {
		if ws.Config.Excluded(d) {
			excluded = append(excluded, d)
			continue
		}
		m, err := LoadModule(root, d)
		if err != nil {
			return nil, err
		}
		if m.File.Go != nil && version.Compare("go"+m.File.Go.Version, "go"+goLine) > 0 {
			goLine = m.File.Go.Version
		}
		uses = append(uses, d)
	}
	if len(uses) == 0 {
		return nil, fmt.Errorf("no module to check under %s: every go.mod is excluded as a tools module (set workspace.include in %s)", root, config.File)
	}
	slices.Sort(uses)
	var b strings.Builder
	fmt.Fprintf(&b, "// The workspace hackless checks: %s has no go.work, so hackless\n// uses every module of the tree but the tools modules.\n\ngo %s\n\n", root, goLine)
	for _, d := range excluded {
		fmt.Fprintf(&b, "// hackless:exclude ./%s\n", d)
	}
	b.WriteString("use (\n")
	for _, d := range uses {
		fmt.Fprintf(&b, "\t%s\n", filepath.Join(root, filepath.FromSlash(d)))
	}
	b.WriteString(")\n")
	if err := os.MkdirAll(ws.OutDir, 0o755); err != nil {
		return nil, err
	}
	ws.WorkData = []byte(b.String())
	if _, err := atomicfile.Write(ws.WorkFile, ws.WorkData, 0o644); err != nil {
		return nil, err
	}
	return ws, ws.parseWork()
}

// LoadModule parses the go.mod in dir, which is relative to root (as a use
// directive writes it) or absolute. The error wraps fs.ErrNotExist when
// there is no go.mod.
func LoadModule(root, dir string) (*Module, error) {
	abs := dir
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(root, filepath.FromSlash(dir))
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return nil, err
	}
	m := &Module{Dir: abs, Rel: filepath.ToSlash(rel), GoMod: filepath.Join(abs, "go.mod")}
	m.Data, err = os.ReadFile(m.GoMod)
	if err != nil {
		return nil, err
	}
	m.File, err = modfile.Parse(m.GoModRel(), m.Data, nil)
	if err != nil {
		return nil, err
	}
	if m.File.Module == nil {
		return nil, fmt.Errorf("%s: no module directive", m.GoModRel())
	}
	m.Path = m.File.Module.Mod.Path
	return m, nil
}

// Rel returns the slash-separated path of p relative to the root.
func (ws *Workspace) Rel(p string) string {
	if r, err := filepath.Rel(ws.Root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

// Abs returns the absolute path of a root-relative slash path.
func (ws *Workspace) Abs(rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(ws.Root, filepath.FromSlash(rel))
}

// ModuleByPath returns the workspace module with the given module path.
func (ws *Workspace) ModuleByPath(p string) *Module {
	for _, m := range ws.Modules {
		if m.Path == p {
			return m
		}
	}
	return nil
}

// Skipped reports whether a directory with this base name is outside what
// hackless checks: vendor, testdata, _output, and names starting with "." or
// "_" (which the go command ignores too).
func Skipped(name string) bool {
	return name == "vendor" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// skippedPath reports whether any directory of the slash path rel is Skipped.
func skippedPath(rel string) bool {
	dirs := strings.Split(rel, "/")
	return slices.ContainsFunc(dirs[:len(dirs)-1], Skipped)
}

// once computes a value on first use, honoring the first caller's context;
// a failure is not remembered, so a later caller may retry.
type once[T any] struct {
	mu   sync.Mutex
	done bool
	val  T
}

func (o *once[T]) get(f func() (T, error)) (T, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return o.val, nil
	}
	v, err := f()
	if err != nil {
		return v, err
	}
	o.val, o.done = v, true
	return v, nil
}

var excludeRE = regexp.MustCompile(`^\s*//\s*hackless:exclude\s+(\S+)`)

// ExcludeComments returns the directories named by hackless:exclude
// comments in go.work, cleaned and root-relative.
func ExcludeComments(work []byte) map[string]bool {
	out := make(map[string]bool)
	sc := bufio.NewScanner(bytes.NewReader(work))
	for sc.Scan() {
		if m := excludeRE.FindStringSubmatch(sc.Text()); m != nil {
			out[path.Clean(m[1])] = true
		}
	}
	return out
}

// IsTools reports whether the module directory rel (root-relative) is a
// tools module: one that builds the repository's tools and ships nothing.
// It is marked by a hackless:exclude comment in go.work, listed in
// workspace.exclude of hackless.yaml, or, unless listed in
// workspace.include, has a directory named tools or _tools in its path.
func (ws *Workspace) IsTools(rel string) bool {
	return ws.excludes[path.Clean(rel)] || ws.Config.Excluded(rel)
}
