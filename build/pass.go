package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hackless/hackless/build/hermetic"
	"github.com/hackless/hackless/build/internal/atomicfile"
	"github.com/hackless/hackless/build/internal/diff"
	"github.com/hackless/hackless/build/workspace"
)

// A Pass is a step's only door to the engine during one run.
type Pass struct {
	Step      *Step
	Mode      Mode
	Workspace *workspace.Workspace
	// Env is the hermetic environment; use Command to run tools.
	Env *hermetic.Env

	ctx context.Context

	mu       sync.Mutex
	findings []Finding
	changed  []string
	notes    []string
	cases    []JUnitCase
	log      bytes.Buffer
}

// Context returns the run's context; it is done when the run is
// interrupted.
func (p *Pass) Context() context.Context { return p.ctx }

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

// ReportFixable records a finding that a change this step proposes fixes:
// in Verify mode it is reported like any other, in Update mode, where the
// change is applied, it is only logged.
func (p *Pass) ReportFixable(f Finding) {
	if p.Mode == Update {
		p.Logf("fixed: %s", f)
		return
	}
	p.Report(f)
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
func (p *Pass) Command(dir, name string, args ...string) *exec.Cmd {
	p.Logf("$ (cd %s && %s %s)", p.Workspace.Rel(p.Workspace.Abs(dir)), name, strings.Join(args, " "))
	return p.Env.Command(p.ctx, p.Workspace.Abs(dir), name, args...)
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

// ReadFile reads a root-relative file.
func (p *Pass) ReadFile(rel string) ([]byte, error) {
	return os.ReadFile(p.Workspace.Abs(rel))
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
		if _, err := atomicfile.Write(abs, content, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
		p.mu.Lock()
		p.changed = append(p.changed, rel)
		p.mu.Unlock()
		return nil
	}
	line := diff.FirstChange(old, content)
	if old == nil {
		line = 0
	}
	p.Report(Finding{
		Pos:     Position{File: rel, Line: line},
		Message: why,
		Diff:    string(diff.Diff(rel, old, rel+" (updated)", content)),
	})
	return nil
}

func (p *Pass) mayWrite(rel string) bool {
	for _, pat := range p.Step.Writes {
		if ok, _ := path.Match(pat, path.Base(rel)); ok {
			return true
		}
	}
	return false
}
