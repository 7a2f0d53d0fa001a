// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"github.com/hackless/hackless/build/config"

	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/build/hermetic"
	"github.com/hackless/hackless/build/internal/diff"
	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/atomicfile"
)

// A Pass is a step's only door to the engine during one run.
type Pass struct {
	Step      *Step
	Mode      Mode
	Workspace *workspace.Workspace
	// Env is the hermetic environment; use Command to run tools.
	Env *hermetic.Env

	ctx     context.Context
	modules []*workspace.Module // the modules to do, for a step with a module scope
	// packages, for a ScopePackage step, lists the package directories
	// to do of the modules not done whole.
	packages map[string][]string
	slots    *slots // the run's -jobs, for Parallel; nil runs one at a time

	mu        sync.Mutex
	findings  []Finding
	changed   []string
	notes     []string
	cases     []JUnitCase
	proposed  bool // a change was proposed and, in Verify mode, not made
	log       bytes.Buffer
	reads     map[cache.Read]bool
	bases     map[string]fileBase // in Update mode: what each file the step may write was when it started
	commands  []string            // every command run, whole
	usage     bool                // a configuration file could not be used
	fixable   map[string]int      // file -> index in findings of its first fixable finding without a diff
	notCached string              // why this run's pass must not be stored
}

// fileBase is what a file was when a step started, for update's
// compare-and-swap: its stamp, and the hash of its content once the step
// read it through the Pass.
type fileBase struct {
	stamp cache.Stamp
	sum   string
}

// A ConflictError says that a file changed while an update step ran, so
// the step wrote nothing to it.
type ConflictError struct {
	File, Step string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s changed while update:%s ran; nothing was written to it (your edit is kept): run update:%s again", e.File, e.Step, e.Step)
}

// Context returns the run's context; it is done when the run is
// interrupted.
func (p *Pass) Context() context.Context { return p.ctx }

// Modules returns the workspace modules the step must check: all of them,
// except for a step with a module scope whose other modules' results are
// cached.
func (p *Pass) Modules() []*workspace.Module {
	if p.modules == nil {
		return p.Workspace.Modules
	}
	return p.modules
}

// GoPatterns returns the go command's package patterns, relative to the
// workspace root, for what the step must check: ./<module>/... for each
// module of Modules it checks whole, and for a ScopePackage step, of a
// module whose other packages' results are cached, ./<dir> for each
// package it must check. A directory named this way may hold no package
// for some platform (its files are all excluded by build constraints),
// which the go command reports as an error when it is named.
func (p *Pass) GoPatterns() []string {
	var out []string
	for _, m := range p.Modules() {
		dirs, ok := p.packages[m.Rel]
		if !ok {
			out = append(out, "./"+path.Join(m.Rel, "..."))
			continue
		}
		for _, d := range dirs {
			if d == "." {
				out = append(out, ".")
			} else {
				out = append(out, "./"+d)
			}
		}
	}
	return out
}

// Report records a finding.
func (p *Pass) Report(f Finding) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.findings = append(p.findings, f)
}

// Reportf records a finding at pos.
func (p *Pass) Reportf(pos Position, format string, args ...any) {
	p.Report(Finding{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

// Config returns the repository's settings (hackless.yaml, checked when
// the run started) and records the file as read, so that a cached result
// holds only while it is unchanged.
func (p *Pass) Config() *config.Config {
	p.ReadFile(config.File)
	if p.Workspace.Config == nil {
		return new(config.Config)
	}
	return p.Workspace.Config
}

// ReportConfig records a problem in a configuration file the step cannot
// use (malformed JSON, an unknown key), at its line: the step fails and
// the run exits 2, as a usage error does, instead of 1.
func (p *Pass) ReportConfig(f Finding) {
	p.Report(f)
	p.mu.Lock()
	p.usage = true
	p.mu.Unlock()
}

// ReportFixable records a finding that a change this step proposes fixes:
// in Verify mode it is reported like any other, and the diff of the change
// to its file, proposed afterwards, is attached to the first such finding
// instead of being another finding; in Update mode, where the change is
// applied, it is only logged.
func (p *Pass) ReportFixable(f Finding) {
	if p.Mode == Update {
		p.Logf("fixed: %s", f)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.addFixable(len(p.findings), f.Pos.File)
	p.findings = append(p.findings, f)
}

// FixedByUpdate says that the step's update form fixes what it found,
// though it proposed no change: a check script whose paired update script
// regenerates what it checks. In Verify mode the result then names the
// command that runs the update form, as for a proposed change.
func (p *Pass) FixedByUpdate() {
	if p.Mode == Verify && p.Step.Fixable() {
		p.propose()
	}
}

// NotCached says that this run's result depends on what no input
// describes (a database read over the network), so a pass is not stored:
// the step runs again next time. A step that always does so is Uncached
// instead.
func (p *Pass) NotCached(why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notCached = why
}

// addFixable indexes the fixable finding at i of file, if the file has no
// fixable finding waiting for a diff yet; p.mu is held.
func (p *Pass) addFixable(i int, file string) {
	if _, ok := p.fixable[file]; ok {
		return
	}
	if p.fixable == nil {
		p.fixable = make(map[string]int)
	}
	p.fixable[file] = i
}

// attachDiff gives the diff of a proposed change to the first fixable
// finding in the same file, which the change fixes, so that one problem
// stays one finding; a finding about a line that is missing gets the line
// where the change goes. It reports whether there was such a finding.
func (p *Pass) attachDiff(rel, diff string, line int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.fixable[rel]
	if !ok {
		return false
	}
	delete(p.fixable, rel) // the next fixable finding in the file starts anew
	f := &p.findings[i]
	f.Diff = diff
	if f.Pos.Line == 0 {
		f.Pos.Line = line
	}
	return true
}

// Notef adds a line shown under the step's result in every run, passed or
// failed, such as a per-package test summary.
func (p *Pass) Notef(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notes = append(p.notes, fmt.Sprintf(format, args...))
}

// AddTestCase records a test case for the JUnit report: a step that records
// test cases appears in JUnit as those cases instead of as one case.
func (p *Pass) AddTestCase(c JUnitCase) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cases = append(p.cases, c)
}

// Logf adds a line to the step's log, which is shown when the step fails
// or when mage runs with -v.
// Parallel calls do(0) … do(n-1), each on the step's own slot or beside
// it on a slot of the run that is free, and returns when all have
// returned: a step that runs several tools at once (one per platform,
// say) stays within the run's -jobs, as the modules of a PerModule step
// do. do must be safe to call from several goroutines.
func (p *Pass) Parallel(n int, do func(i int)) {
	var next atomic.Int64
	take := func() (int, bool) {
		i := int(next.Add(1)) - 1
		return i, i < n
	}
	var wg sync.WaitGroup
	// Before each call on its own slot, the step takes every slot that
	// has come free for a helper, which calls until none is left.
	for {
		for p.slots != nil && int(next.Load()) < n-1 && p.slots.tryAcquire() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer p.slots.release()
				for i, ok := take(); ok; i, ok = take() {
					do(i)
				}
			}()
		}
		i, ok := take()
		if !ok {
			break
		}
		do(i)
	}
	wg.Wait()
}

func (p *Pass) Logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(&p.log, format, args...)
	if !strings.HasSuffix(format, "\n") {
		p.log.WriteByte('\n')
	}
}

// Command returns a command for name run in dir (relative to the root, or
// absolute) with the hermetic environment; it is killed, with its whole
// process group, when the run is interrupted.
//
// The log shows the command with its file arguments counted, not listed
// (gofmt over a module names thousands); Result.Commands has it whole.
func (p *Pass) Command(dir, name string, args ...string) *exec.Cmd {
	where := p.Workspace.Rel(p.Workspace.Abs(dir))
	full := fmt.Sprintf("(cd %s && %s %s)", where, name, strings.Join(args, " "))
	p.mu.Lock()
	p.commands = append(p.commands, full)
	p.mu.Unlock()
	p.Logf("$ (cd %s && %s %s)", where, name, abbreviate(args))
	return p.Env.Command(p.ctx, p.Workspace.Abs(dir), name, args...)
}

// maxLoggedFiles is how many file arguments a logged command shows.
const maxLoggedFiles = 3

// abbreviate joins args, keeping the first few of the arguments that name
// files (.go and other paths with an extension) and counting the rest.
func abbreviate(args []string) string {
	var out []string
	files := 0
	for _, a := range args {
		if !strings.HasPrefix(a, "-") && path.Ext(a) != "" && !strings.Contains(a, "=") {
			files++
			if files > maxLoggedFiles {
				continue
			}
		}
		out = append(out, a)
	}
	s := strings.Join(out, " ")
	if files > maxLoggedFiles {
		s += fmt.Sprintf(" … (%d files in all)", files)
	}
	return s
}

// Output runs a command made by Command and returns its standard output.
// A failure is an error that includes the command's standard error.
func (p *Pass) Output(cmd *exec.Cmd) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		if p.ctx.Err() != nil {
			return nil, p.ctx.Err()
		}
		return stdout.Bytes(), fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// InputFiles returns the root-relative files of the tree that match the
// step's Inputs.Files, sorted: the files its cached result is keyed on.
// For a step run for some modules only (Modules), files inside other
// modules are left out.
func (p *Pass) InputFiles() ([]string, error) {
	files, err := p.Workspace.AllFiles(p.ctx)
	if err != nil {
		return nil, err
	}
	owners, err := p.Workspace.Owners(p.ctx)
	if err != nil {
		return nil, err
	}
	some := len(p.Modules()) < len(p.Workspace.Modules)
	want := map[string]bool{"": true}
	for _, m := range p.Modules() {
		want[m.Rel] = true
	}
	var out []string
	for _, f := range files {
		if some && !want[owners.Of(f)] {
			continue
		}
		for _, pat := range p.Step.Inputs.Files {
			if matchGlob(pat, f) {
				out = append(out, f)
				break
			}
		}
	}
	return out, nil
}

// ReadFile reads a file, root-relative or absolute. What it read (or that
// the file was absent) becomes part of a cached result's key, so a step
// reads its configuration through ReadFile, wherever the file is.
func (p *Pass) ReadFile(name string) ([]byte, error) {
	abs := p.Workspace.Abs(name)
	data, err := os.ReadFile(abs)
	sum := sumRead(data, err)
	p.record(cache.Read{Kind: "file", Name: abs, Sum: sum})
	p.mu.Lock()
	if b, ok := p.bases[abs]; ok && b.sum == "" {
		b.sum = sum
		p.bases[abs] = b
	}
	p.mu.Unlock()
	return data, err
}

// ReadDir lists a directory, root-relative or absolute; the listing
// becomes part of a cached result's key.
func (p *Pass) ReadDir(name string) ([]os.DirEntry, error) {
	abs := p.Workspace.Abs(name)
	entries, err := os.ReadDir(abs)
	p.record(cache.Read{Kind: "dir", Name: abs, Sum: sumListing(entries, err)})
	return entries, err
}

// Stat describes a file or directory, root-relative or absolute; whether
// it exists, and whether it is a directory, become part of a cached
// result's key.
func (p *Pass) Stat(name string) (fs.FileInfo, error) {
	abs := p.Workspace.Abs(name)
	fi, err := os.Stat(abs)
	p.record(cache.Read{Kind: "stat", Name: abs, Sum: sumStat(fi, err)})
	return fi, err
}

// Getenv returns a variable of the hermetic environment; its value
// becomes part of a cached result's key.
func (p *Pass) Getenv(name string) string {
	v := p.Env.Get(name)
	p.record(cache.Read{Kind: "env", Name: name, Sum: v})
	return v
}

func (p *Pass) record(r cache.Read) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reads == nil {
		p.reads = make(map[cache.Read]bool)
	}
	p.reads[r] = true
}

// recorded returns the reads, in a stable order.
func (p *Pass) recorded() []cache.Read {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Collect(maps.Keys(p.reads))
	slices.SortFunc(out, func(a, b cache.Read) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name), strings.Compare(a.Sum, b.Sum))
	})
	return out
}

// Propose says that the root-relative file rel should hold content, and why
// (as "not formatted with gofmt -s"). If it already does, nothing happens.
// Otherwise, in Verify mode the change is reported as a finding with the
// message why and a diff, and in Update mode the file is
// replaced atomically (a new file gets mode 0644). Files are kept in the
// order proposed, so a step may propose a file and then run a tool that
// reads it; in Verify mode the tool sees the old content.
func (p *Pass) Propose(rel string, content []byte, why string) error {
	rel = filepath.ToSlash(rel)
	if !p.mayWrite(rel) {
		return fmt.Errorf("step %s proposed a change to %s, which its Writes %q do not cover", p.Step.Name, rel, p.Step.Writes)
	}
	abs := p.Workspace.Abs(rel)
	old, err := os.ReadFile(abs)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err == nil && bytes.Equal(old, content) {
		return nil
	}
	if p.Mode == Update {
		if _, err := atomicfile.WriteIf(abs, content, 0o644, func(name string, moved bool) error { return p.unchangedAt(rel, name, moved) }); err != nil {
			var conflict *ConflictError
			if errors.As(err, &conflict) {
				return err
			}
			return fmt.Errorf("write %s: %w", rel, err)
		}
		p.rebase(abs, content)
		p.wrote(rel)
		return nil
	}
	line := diff.FirstChange(old, content)
	if old == nil {
		line = 0
	}
	p.propose()
	d := string(diff.Diff(rel, old, rel+" (updated)", content))
	if p.attachDiff(rel, d, line) {
		return nil // the findings the change fixes are already reported
	}
	p.Report(Finding{Pos: Position{File: rel, Line: line}, Message: why, Diff: d})
	return nil
}

// Remove says that the root-relative file rel should not exist, and why.
// In Verify mode that is a finding; in Update mode the file is removed.
func (p *Pass) Remove(rel, why string) error {
	rel = filepath.ToSlash(rel)
	if !p.mayWrite(rel) {
		return fmt.Errorf("step %s proposed to remove %s, which its Writes %q do not cover", p.Step.Name, rel, p.Step.Writes)
	}
	abs := p.Workspace.Abs(rel)
	if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if p.Mode == Update {
		if err := p.Unchanged(rel); err != nil {
			return err
		}
		if err := os.Remove(abs); err != nil {
			return err
		}
		p.rebase(abs, nil)
		p.wrote(rel + " (removed)")
		return nil
	}
	p.propose()
	p.Report(Finding{Pos: Position{File: rel}, Message: why + ": would be removed"})
	return nil
}

// snapshot records, for an update step, the stamp of every file its
// Writes cover, from a fresh listing of the tree: what the step starts
// from. Files git ignores are not listed and get no such protection.
func (p *Pass) snapshot() error {
	files, err := p.Workspace.ListFiles(p.ctx)
	if err != nil {
		return err
	}
	p.bases = make(map[string]fileBase)
	for _, f := range files {
		if !p.mayWrite(f) {
			continue
		}
		abs := p.Workspace.Abs(f)
		if fi, err := os.Lstat(abs); err == nil {
			p.bases[abs] = fileBase{stamp: cache.StampOf(fi)}
		}
	}
	// A step works from go.work and go.mod as the workspace model loaded
	// them, which may be before the step started.
	setSum := func(abs string, data []byte) {
		if b, ok := p.bases[abs]; ok {
			b.sum = sumRead(data, nil)
			p.bases[abs] = b
		}
	}
	if p.Workspace.WorkData != nil {
		setSum(p.Workspace.WorkFile, p.Workspace.WorkData)
	}
	for _, m := range p.Workspace.Modules {
		setSum(m.GoMod, m.Data)
	}
	return nil
}

// Unchanged returns a *ConflictError if the root-relative file rel is no
// longer what it was when the step started (as of the snapshot, or of the
// step's own last write), and nil otherwise, or in Verify mode. A step
// that writes files that belong together (a generated set) checks them all
// before it proposes any; Propose and Remove check each file again just
// before they write it.
func (p *Pass) Unchanged(rel string) error {
	return p.unchangedAt(rel, p.Workspace.Abs(rel), false)
}

// unchangedAt is Unchanged for the file rel held when the step started,
// found at name; moved says that it was renamed since (which changes its
// change time but not its content, size or modification time).
func (p *Pass) unchangedAt(rel, name string, moved bool) error {
	if p.Mode != Update || p.bases == nil {
		return nil
	}
	abs := p.Workspace.Abs(rel)
	p.mu.Lock()
	b, ok := p.bases[abs]
	p.mu.Unlock()
	if !ok {
		return nil // absent when the step started, or ignored by git
	}
	conflict := &ConflictError{File: filepath.ToSlash(rel), Step: p.Step.Name}
	fi, err := os.Lstat(name)
	if err != nil {
		return conflict
	}
	if b.sum != "" {
		if sumFile(name) != b.sum {
			return conflict
		}
		return nil
	}
	now := cache.StampOf(fi)
	if moved {
		now.ChangeNs = b.stamp.ChangeNs
	}
	if now != b.stamp {
		return conflict
	}
	return nil
}

// rebase records a file the step itself wrote as the new base.
func (p *Pass) rebase(abs string, content []byte) {
	if p.bases == nil {
		return
	}
	fi, err := os.Lstat(abs)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		delete(p.bases, abs)
		return
	}
	p.bases[abs] = fileBase{stamp: cache.StampOf(fi), sum: sumRead(content, nil)}
}

// wrote records a file written in Update mode.
func (p *Pass) wrote(rel string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.changed = append(p.changed, rel)
}

// propose records that a change was proposed and, in Verify mode, not made.
func (p *Pass) propose() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.proposed = true
}

func (p *Pass) mayWrite(rel string) bool {
	for _, pat := range p.Step.Writes {
		if strings.HasSuffix(pat, "/") {
			if strings.HasPrefix(rel+"/", pat) {
				return true
			}
		} else if ok, _ := path.Match(pat, path.Base(rel)); ok {
			return true
		}
	}
	return false
}

// maxTreeFindings bounds the per-file findings of ProposeTree.
const maxTreeFindings = 50

// ProposeTree says that the root-relative directory rel should hold
// exactly the tree at dir, which the step built on the same file system
// (under Env.TempDir()). In Verify mode every added, removed or changed
// file is a finding (changed text files with a diff), up to a bound. In
// Update mode the old tree is moved aside, dir is renamed into its place,
// and the old tree is removed: readers see the old tree or the new one.
func (p *Pass) ProposeTree(rel, dir, why string) error {
	rel = strings.TrimSuffix(filepath.ToSlash(rel), "/")
	if !p.mayWrite(rel + "/x") {
		return fmt.Errorf("step %s proposed the tree %s/, which its Writes %q do not cover", p.Step.Name, rel, p.Step.Writes)
	}
	abs := p.Workspace.Abs(rel)
	diffs, err := diffTrees(abs, dir)
	if err != nil {
		return err
	}
	if len(diffs) == 0 {
		return nil
	}
	if p.Mode == Update {
		old := abs + ".hackless-old"
		os.RemoveAll(old)
		if err := os.Rename(abs, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.Rename(dir, abs); err != nil {
			os.Rename(old, abs)
			return fmt.Errorf("replace %s: %w", rel, err)
		}
		if err := os.RemoveAll(old); err != nil {
			return err
		}
		p.wrote(rel + "/")
		return nil
	}
	p.propose()
	for i, d := range diffs {
		if i == maxTreeFindings {
			p.Reportf(Position{File: rel + "/"}, "%s: %d more files differ", why, len(diffs)-i)
			break
		}
		f := Finding{Pos: Position{File: path.Join(rel, d.name)}, Message: why + ": " + d.what}
		if d.what == "would be changed" && utf8.Valid(d.old) && utf8.Valid(d.new) {
			f.Diff = string(diff.Diff(f.Pos.File, d.old, f.Pos.File+" (updated)", d.new))
			f.Pos.Line = diff.FirstChange(d.old, d.new)
		}
		p.Report(f)
	}
	return nil
}

type treeDiff struct {
	name     string
	what     string
	old, new []byte
}

// diffTrees compares the files under two directories; a missing directory
// is empty.
func diffTrees(oldDir, newDir string) ([]treeDiff, error) {
	oldFiles, err := readTree(oldDir)
	if err != nil {
		return nil, err
	}
	newFiles, err := readTree(newDir)
	if err != nil {
		return nil, err
	}
	var out []treeDiff
	for _, name := range slices.Sorted(maps.Keys(newFiles)) {
		o, ok := oldFiles[name]
		switch {
		case !ok:
			out = append(out, treeDiff{name: name, what: "would be added"})
		case !bytes.Equal(o, newFiles[name]):
			out = append(out, treeDiff{name: name, what: "would be changed", old: o, new: newFiles[name]})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(oldFiles)) {
		if _, ok := newFiles[name]; !ok {
			out = append(out, treeDiff{name: name, what: "would be removed"})
		}
	}
	slices.SortStableFunc(out, func(a, b treeDiff) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// readTree reads every regular file under dir, by slash path.
func readTree(dir string) (map[string][]byte, error) {
	files := make(map[string][]byte)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return filepath.SkipAll
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	return files, err
}
