// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/build/hermetic"
	"github.com/hackless/hackless/internal/atomicfile"
	"github.com/hackless/hackless/internal/licenses"
	"github.com/hackless/hackless/internal/modgraph"
)

// ReviewConfig says what Review compares.
type ReviewConfig struct {
	// Base is the git ref to compare the working tree with; "" means the
	// merge base of HEAD with the main branch (origin/main, origin/master,
	// main or master, the first that exists).
	Base string
}

// ReviewReport is what Review finds; it is also its JSON form.
type ReviewReport struct {
	Base       string
	Added      []ModuleChange `json:",omitempty"`
	Removed    []ModuleChange `json:",omitempty"`
	Upgraded   []ModuleChange `json:",omitempty"`
	Downgraded []ModuleChange `json:",omitempty"`
	// Pseudo lists new pseudo-versions of modules that have tagged releases.
	Pseudo []ModuleChange `json:",omitempty"`
	// Forks lists replaces to another module path.
	Forks []ModuleChange `json:",omitempty"`
	// Licenses lists shipped modules whose license changed or is new.
	Licenses []LicenseChange `json:",omitempty"`
	// Inits lists packages newly compiled in that have init functions.
	Inits         []string `json:",omitempty"`
	Before, After modgraph.Stats
	// Commits lists the commits since the base that change dependency files.
	Commits []ReviewCommit `json:",omitempty"`
}

// ModuleChange is one module in the report.
type ModuleChange struct {
	Path, From, To string
	Direct         bool
	Note           string `json:",omitempty"`
}

// LicenseChange is a shipped module's license before and after.
type LicenseChange struct {
	Path, From, To string
}

// ReviewCommit is a commit that changes dependency files.
type ReviewCommit struct {
	Hash, Subject string
	// Bare is true for a one-line message that does not say why.
	Bare bool
}

// ReviewFile returns where Review writes its report: _output/hackless/
// deps-review.md and deps-review.json.
func ReviewFile(root, ext string) string {
	return filepath.Join(driver.ReportDir(root), "deps-review."+ext)
}

// Review returns a step that compares the dependencies of the working tree
// with those at a base ref and writes a review report, Markdown and JSON:
// modules added, removed, upgraded and downgraded (direct or indirect);
// new pseudo-versions of modules that have tagged releases; replaces to
// forks; license changes of shipped modules; newly compiled-in packages
// with init functions; the dependency counts and longest chain before and
// after, as kubernetes-sigs/depstat reports them; and the commits since
// the base that change dependency files, flagging bare one-line messages
// that do not give the reason. It never modifies the tree.
func Review(cfg ReviewConfig) *build.Step {
	return &build.Step{
		Name:   "review",
		Doc:    "review the dependency changes since a base ref",
		Inputs: build.Inputs{Files: append([]string{"**/*.go"}, goModFiles...), Tools: []build.Tool{build.GoCommand, build.Git}},
		// It compares with a git ref and prints to stdout: never cached.
		Uncached: true,
		Run:      func(pass *build.Pass) error { return runReview(pass, cfg) },
	}
}

// side is the dependency state of one tree.
type side struct {
	mods  map[string]listedModuleDir
	graph *modgraph.Graph
	pkgs  map[string]packageFiles
}

type listedModuleDir struct {
	Path, Version, Dir string
	Main, Indirect     bool
	Replace            *struct{ Path, Version, Dir string }
}

// effective returns the version in use and the directory of its files.
func (m listedModuleDir) effective() (string, string) {
	if m.Replace != nil {
		return m.Replace.Version, m.Replace.Dir
	}
	return m.Version, m.Dir
}

type packageFiles struct {
	ImportPath, Dir string
	GoFiles         []string
	Standard        bool
	Module          *struct{ Path string }
}

func runReview(pass *build.Pass, cfg ReviewConfig) error {
	ws := pass.Workspace
	base, err := reviewBase(pass, cfg.Base)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(pass.Env.TempDir(), "review-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := extractTree(pass, base, tmp); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(tmp, "go.work")); err != nil {
		return fmt.Errorf("the base %s has no go.work at the root: deps:review compares workspaces", base)
	}
	before, err := loadSide(pass, pass.Env.With("GOWORK="+filepath.Join(tmp, "go.work")), tmp)
	if err != nil {
		return fmt.Errorf("at %s: %w", base, err)
	}
	after, err := loadSide(pass, pass.Env, ws.Root)
	if err != nil {
		return err
	}
	rep := compareSides(pass, before, after)
	rep.Base = base
	if rep.Commits, err = dependencyCommits(pass, base); err != nil {
		return err
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if _, err := atomicfile.Write(ReviewFile(ws.Root, "json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	if _, err := atomicfile.Write(ReviewFile(ws.Root, "md"), []byte(rep.Markdown()), 0o644); err != nil {
		return err
	}
	pass.Notef("%d added, %d removed, %d upgraded, %d downgraded since %s", len(rep.Added), len(rep.Removed), len(rep.Upgraded), len(rep.Downgraded), base)
	return nil
}

// reviewBase resolves the base ref, by default the merge base with the
// main branch.
func reviewBase(pass *build.Pass, ref string) (string, error) {
	git := func(args ...string) (string, error) {
		out, err := pass.Output(pass.Command(".", "git", args...))
		return strings.TrimSpace(string(out)), err
	}
	if ref != "" {
		if _, err := git("rev-parse", "--verify", ref+"^{commit}"); err != nil {
			return "", &build.UsageError{Err: fmt.Errorf("base %q is not a commit: %w", ref, err)}
		}
		return ref, nil
	}
	for _, main := range []string{"origin/main", "origin/master", "main", "master"} {
		if mb, err := git("merge-base", "HEAD", main); err == nil && mb != "" {
			return mb, nil
		}
	}
	return "", &build.UsageError{Err: errors.New("no main branch to compare with: name a base, as go tool mage deps:review origin/main")}
}

// extractTree writes the Go and module files of ref into dir, streaming
// git archive: neither the work tree nor the repository is touched.
func extractTree(pass *build.Pass, ref, dir string) error {
	cmd := pass.Command(".", "git", "archive", "--format=tar", ref)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	err = extractGoFiles(tar.NewReader(stdout), dir)
	if err != nil {
		io.Copy(io.Discard, stdout)
	}
	if werr := cmd.Wait(); werr != nil {
		return fmt.Errorf("git archive %s: %w: %s", ref, werr, strings.TrimSpace(stderr.String()))
	}
	return err
}

// extractGoFiles keeps the files that the go command reads.
func extractGoFiles(tr *tar.Reader, dir string) error {
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		base := filepath.Base(h.Name)
		keep := strings.HasSuffix(base, ".go") || base == "go.mod" || base == "go.sum" ||
			h.Name == "go.work" || h.Name == "go.work.sum" || h.Name == "vendor/modules.txt"
		if h.Typeflag != tar.TypeReg || !keep || strings.Contains(h.Name, "..") {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if err := errors.Join(err, f.Close()); err != nil {
			return err
		}
	}
}

// loadSide lists the modules, the module graph and the shipped packages of
// the workspace in root.
func loadSide(pass *build.Pass, env *hermetic.Env, root string) (*side, error) {
	run := func(args ...string) ([]byte, error) {
		return pass.Output(env.Command(pass.Context(), root, "go", args...))
	}
	s := &side{mods: make(map[string]listedModuleDir), pkgs: make(map[string]packageFiles)}
	out, err := run("list", "-m", "-json", "all")
	if err != nil {
		return nil, err
	}
	if err := decodeAll(out, func(m listedModuleDir) { s.mods[m.Path] = m }); err != nil {
		return nil, err
	}
	if out, err = run("mod", "graph"); err != nil {
		return nil, err
	}
	if s.graph, err = modgraph.Parse(string(out)); err != nil {
		return nil, err
	}
	if out, err = run("list", "-e", "-deps", "-json=ImportPath,Dir,GoFiles,Standard,Module", "work"); err != nil {
		return nil, err
	}
	err = decodeAll(out, func(p packageFiles) {
		if !p.Standard {
			s.pkgs[p.ImportPath] = p
		}
	})
	return s, err
}

func decodeAll[T any](data []byte, f func(T)) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var v T
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		f(v)
	}
}

func compareSides(pass *build.Pass, before, after *side) *ReviewReport {
	rep := &ReviewReport{Before: before.graph.Stats(), After: after.graph.Stats()}
	shipped := make(map[string]bool)
	for _, p := range after.pkgs {
		if p.Module != nil {
			shipped[p.Module.Path] = true
		}
	}
	identify := classifier(pass)
	for _, path := range slices.Sorted(maps.Keys(after.mods)) {
		a := after.mods[path]
		if a.Main {
			continue
		}
		av, adir := a.effective()
		b, had := before.mods[path]
		bv, bdir := b.effective()
		c := ModuleChange{Path: path, From: bv, To: av, Direct: !a.Indirect}
		switch {
		case !had:
			rep.Added = append(rep.Added, c)
		case semver.Compare(av, bv) > 0:
			rep.Upgraded = append(rep.Upgraded, c)
		case semver.Compare(av, bv) < 0:
			rep.Downgraded = append(rep.Downgraded, c)
		}
		changed := !had || av != bv
		if changed && module.IsPseudoVersion(av) {
			if tag := latestTag(pass, path); tag != "" {
				c.Note = "tagged release " + tag + " exists"
				rep.Pseudo = append(rep.Pseudo, c)
			}
		}
		if a.Replace != nil && a.Replace.Path != path && !strings.HasPrefix(a.Replace.Path, ".") && !filepath.IsAbs(a.Replace.Path) {
			rep.Forks = append(rep.Forks, ModuleChange{Path: path, From: path, To: a.Replace.Path + " " + a.Replace.Version, Direct: !a.Indirect})
		}
		if changed && shipped[path] {
			from, to := licenseOf(identify, bdir), licenseOf(identify, adir)
			if !had {
				from = "(new)"
			}
			if from != to {
				rep.Licenses = append(rep.Licenses, LicenseChange{Path: path, From: from, To: to})
			}
		}
	}
	for _, path := range slices.Sorted(maps.Keys(before.mods)) {
		if b := before.mods[path]; !b.Main && after.mods[path].Path == "" {
			bv, _ := b.effective()
			rep.Removed = append(rep.Removed, ModuleChange{Path: path, From: bv, Direct: !b.Indirect})
		}
	}
	for _, ip := range slices.Sorted(maps.Keys(after.pkgs)) {
		if _, ok := before.pkgs[ip]; !ok && hasInit(after.pkgs[ip]) {
			rep.Inits = append(rep.Inits, ip)
		}
	}
	return rep
}

// latestTag returns the highest tagged release of a module, or "" when
// there is none or the proxy cannot say.
func latestTag(pass *build.Pass, path string) string {
	dir, err := os.MkdirTemp("", "hackless-review-")
	if err != nil {
		return ""
	}
	defer os.RemoveAll(dir)
	cmd := pass.Command(dir, "go", "list", "-m", "-versions", "-json", path)
	cmd.Env = append(cmd.Env, "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := pass.Output(cmd)
	if err != nil {
		return ""
	}
	var m struct{ Versions []string }
	if json.Unmarshal(out, &m) != nil || len(m.Versions) == 0 {
		return ""
	}
	return m.Versions[len(m.Versions)-1]
}

func licenseOf(identify *licenses.Classifier, dir string) string {
	if dir == "" {
		return "(unknown: module not downloaded)"
	}
	f, err := licenses.Find(dir)
	if err != nil || f == nil {
		return "(no license file)"
	}
	ids, cov := identify.Identify(f.Data)
	if ids == nil {
		return fmt.Sprintf("(unidentified, %.0f%% known text)", cov)
	}
	return strings.Join(ids, " AND ")
}

// hasInit reports whether a package declares a func init.
func hasInit(p packageFiles) bool {
	fset := token.NewFileSet()
	for _, f := range p.GoFiles {
		file, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				return true
			}
		}
	}
	return false
}

// dependencyCommits lists the commits in base..HEAD that touch dependency
// files.
func dependencyCommits(pass *build.Pass, base string) ([]ReviewCommit, error) {
	out, err := pass.Output(pass.Command(".", "git", "log", "--format=%H%x1f%s%x1f%b%x1e", base+"..HEAD", "--",
		":(glob)**/go.mod", ":(glob)**/go.sum", ":(glob)go.work", ":(glob)go.work.sum", ":(glob)vendor/**", ":(glob)**/unwanted-dependencies.json"))
	if err != nil {
		return nil, err
	}
	var commits []ReviewCommit
	for _, rec := range strings.Split(string(out), "\x1e") {
		f := strings.Split(strings.TrimLeft(rec, "\n"), "\x1f")
		if len(f) < 3 {
			continue
		}
		commits = append(commits, ReviewCommit{Hash: f[0], Subject: f[1], Bare: strings.TrimSpace(f[2]) == ""})
	}
	return commits, nil
}

// Markdown renders the report for a pull request.
func (r *ReviewReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Dependency review against %s\n\n", r.Base)
	fmt.Fprintf(&b, "| | direct | transitive | total | longest chain |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| before | %d | %d | %d | %d |\n", r.Before.Direct, r.Before.Transitive, r.Before.Total, len(r.Before.Longest))
	fmt.Fprintf(&b, "| after | %d | %d | %d | %d |\n\n", r.After.Direct, r.After.Transitive, r.After.Total, len(r.After.Longest))
	if len(r.After.Longest) > 0 {
		fmt.Fprintf(&b, "Longest chain now: %s\n\n", strings.Join(r.After.Longest, " → "))
	}
	section := func(title string, cs []ModuleChange, line func(ModuleChange) string) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(&b, "### %s (%d)\n\n", title, len(cs))
		for _, c := range cs {
			kind := "indirect"
			if c.Direct {
				kind = "direct"
			}
			fmt.Fprintf(&b, "- `%s` %s (%s)\n", c.Path, line(c), kind)
		}
		b.WriteString("\n")
	}
	section("Added", r.Added, func(c ModuleChange) string { return c.To })
	section("Removed", r.Removed, func(c ModuleChange) string { return c.From })
	section("Upgraded", r.Upgraded, func(c ModuleChange) string { return c.From + " → " + c.To })
	section("Downgraded", r.Downgraded, func(c ModuleChange) string { return c.From + " → " + c.To })
	section("Pseudo-versions where a tagged release exists", r.Pseudo, func(c ModuleChange) string { return c.To + ": " + c.Note })
	section("Replaced by forks", r.Forks, func(c ModuleChange) string { return "→ " + c.To })
	if len(r.Licenses) > 0 {
		fmt.Fprintf(&b, "### License changes (%d)\n\n", len(r.Licenses))
		for _, l := range r.Licenses {
			fmt.Fprintf(&b, "- `%s`: %s → %s\n", l.Path, l.From, l.To)
		}
		b.WriteString("\n")
	}
	if len(r.Inits) > 0 {
		fmt.Fprintf(&b, "### Newly compiled-in packages with init functions (%d)\n\n", len(r.Inits))
		for _, p := range r.Inits {
			fmt.Fprintf(&b, "- `%s`\n", p)
		}
		b.WriteString("\n")
	}
	if len(r.Commits) > 0 {
		fmt.Fprintf(&b, "### Commits changing dependencies (%d)\n\n", len(r.Commits))
		for _, c := range r.Commits {
			flag := ""
			if c.Bare {
				flag = " ⚠ one-line message: say why the dependency changes"
			}
			fmt.Fprintf(&b, "- %s %s%s\n", c.Hash[:min(12, len(c.Hash))], c.Subject, flag)
		}
		b.WriteString("\n")
	}
	return b.String()
}
