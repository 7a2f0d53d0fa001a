// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/build/workspace"
)

// Options configure a run.
type Options struct {
	Mode Mode
	// Name names the run in the summary and the report files
	// (_output/hackless/<name>.json, junit_<name>.xml); "" means the mode.
	Name string
	// Dir is a directory inside the workspace; "" means the current one.
	Dir string
	// Jobs is how many steps run at once; 0 means the number of CPUs.
	Jobs int
	// FailFast starts no new step after the first failure and, in a
	// verify run, stops the steps that are running (each is reported as
	// skipped, stopped by fail-fast). By default every step runs that
	// can, and every failure is reported.
	FailFast bool
	// Skip names steps not to run: each is reported as skipped, and so is
	// every step that requires it. A name that is not a step of the run
	// is a usage error.
	Skip []string
	// HasTargets reports whether a step has verify:<name> and
	// update:<name> targets of its own, for fix hints and CI matrices;
	// a step without them is named as update -what=<name>. nil means
	// every step has them.
	HasTargets func(step string) bool
	// FixCommand is the command prefix that runs a target, for the fix
	// hints; "" means the command of the repository's layout
	// (workspace.Command).
	FixCommand string
	// Env is the caller's environment; nil means os.Environ().
	Env []string
	// Progress, when set, is told as steps start and end (a driver shows
	// it); Run itself prints nothing.
	Progress Progress
	// Durations are how long steps took before, by name, in seconds: the
	// quickest ready steps start first, and with two slots or more one
	// slot takes the longest (a step without a record is estimated: see
	// estimate).
	Durations map[string]float64
	// CacheDir holds the step cache; "" runs without it. Only verify runs
	// use the cache, and only passes are stored.
	CacheDir string
	// NoCache runs every step, as HACKLESS_NO_CACHE=1 does.
	NoCache bool
	// RemoteCache, when its URL is set, shares the step cache through a
	// server that speaks bazel-remote's HTTP protocol: a pass missing
	// from CacheDir is fetched from it, and passes are stored in both.
	RemoteCache cache.RemoteConfig
	// GoCacheProg is a command that serves the go command's build cache
	// (a program that calls gocache.Main when given gocache.Flag, as a
	// magefile that imports hackless's targets does). With a remote cache
	// whose BuildCacheDir is set, the run's go commands get it as
	// GOCACHEPROG, unless the caller set GOCACHEPROG.
	GoCacheProg string
	// Since, a git ref, limits the run to what the changes since its
	// merge base with HEAD can affect (committed or not, and untracked
	// files): a step none of whose declared inputs changed is skipped,
	// saying so; a step with a module scope runs for the modules that
	// hold a changed file and, when it type-checks (ScopeModuleDeps, or
	// Inputs.Go), for every workspace module that depends on one of
	// them. A changed go.work, go.mod, go.sum or hackless.yaml runs
	// everything. A file a step reads without declaring it (through a
	// variable) does not count.
	Since string
	// Shadow maps built-in steps run in shadow to the repository's own
	// check each could replace (a script or Make target step of the same
	// run): a shadow step's findings never fail the run, and the report
	// says, per pair, whether the two agreed (Report.Shadow).
	Shadow map[string]string
	// NoBaseline shows every finding: a verify run otherwise leaves out
	// those the repository's BaselineFile accepts (see Baseline).
	NoBaseline bool
	// Notices, when set, says what the run should warn of about the
	// workspace it loaded (checks the repository has that no step of the
	// run covers); each line joins the report's warnings.
	Notices func(*workspace.Workspace) []string
	// Order names steps in the order an update run applies their writes:
	// one named later starts after every one named earlier that is in the
	// run. It orders only; it pulls no step into the run and skips none.
	Order []string

	slots *slots // the run's Jobs, shared by steps and their modules
}

// slots bound how many steps, and modules of a PerModule step, run at
// once: Jobs in all, as go build -p bounds its actions.
type slots struct {
	mu        sync.Mutex
	used, max int
}

// tryAcquire takes a slot if one is free.
func (s *slots) tryAcquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used >= s.max {
		return false
	}
	s.used++
	return true
}

func (s *slots) release() {
	s.mu.Lock()
	s.used--
	s.mu.Unlock()
}

// Progress is told when the steps of a run start and end.
type Progress interface {
	Started(step string)
	// Finished gets each step's result once: as the step ends, or when it
	// is skipped.
	Finished(*Result)
}

// Run validates the graph of steps and everything they require, loads the
// workspace, and runs each step once, in parallel under the Jobs limit,
// each as soon as its requirements have passed. A step whose requirement
// failed or was skipped is skipped. It returns a UsageError, before running
// anything, for an invalid graph or workspace; otherwise the report, whose
// ExitCode says how the run went.
func Run(ctx context.Context, opts Options, steps ...*Step) (*Report, error) {
	start := time.Now()
	g, err := newGraph(steps, opts.Order...)
	if err != nil {
		return nil, err
	}
	for _, name := range opts.Skip {
		if !slices.ContainsFunc(g.order, func(s *Step) bool { return s.Name == name }) {
			return nil, &UsageError{Err: fmt.Errorf("-skip=%s: no such step in this run", name)}
		}
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	var buildCacheDown string
	opts.Env, buildCacheDown = buildCacheEnv(opts)
	ws, err := workspace.Load(ctx, dir, opts.Env)
	if err != nil {
		if ctx.Err() != nil {
			return &Report{Name: runName(opts), Mode: opts.Mode, Interrupted: true}, nil
		}
		return nil, &UsageError{Err: err}
	}
	loaded := []*workspace.Workspace{ws} // closed when every step has ended
	defer func() {
		for _, l := range loaded {
			l.Close()
		}
	}()
	if opts.FixCommand == "" {
		opts.FixCommand = ws.Command()
	}
	for _, s := range g.order {
		if s.Validate == nil || slices.Contains(opts.Skip, s.Name) {
			continue
		}
		if err := s.Validate(ws); err != nil {
			return nil, &UsageError{Err: fmt.Errorf("step %s: %w", s.Name, err)}
		}
	}
	var change *affected
	if opts.Since != "" {
		if change, err = changesSince(ctx, ws, opts.Since); err != nil {
			return nil, err
		}
	}
	var keys *keyer
	var warnings []string
	if opts.Mode == Verify && opts.CacheDir != "" {
		var err error
		if keys, err = openKeys(ctx, ws, opts.CacheDir, opts.RemoteCache, g.order); err != nil {
			warnings = append(warnings, fmt.Sprintf("cache: %v; running without the cache", err))
		}
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	startedFn := func(string) {}
	finishedFn := func(*Result) {}
	if opts.Progress != nil {
		startedFn, finishedFn = opts.Progress.Started, opts.Progress.Finished
	}

	results := make(map[*Step]*Result, len(g.order))
	pending := make(map[*Step]int, len(g.order))
	preds, dependents := g.schedule(opts.Mode)
	for _, s := range g.order {
		pending[s] = len(preds[s])
	}
	opts.slots = &slots{max: jobs}
	var baseline *Baseline
	var baselined map[string]int // what the baseline still accepts
	nBaselined := 0
	if opts.Mode == Verify && !opts.NoBaseline {
		if baseline, err = LoadBaseline(ws.Root); err != nil {
			return nil, &UsageError{Err: err}
		}
		if baseline != nil {
			baselined = baseline.counts()
		}
	}
	var eg errgroup.Group
	type outcome struct {
		step *Step
		res  *Result
		ran  bool // holds a slot until the loop below has seen it end
	}
	done := make(chan outcome, len(g.order))
	failed := false
	// Start the quickest steps first, so that a formatting error or a
	// misspelling is reported in seconds, not after vet, typecheck and
	// lint, and the long steps never hold every slot while short ones
	// wait: by the durations of earlier runs, else by estimate (a step
	// that runs the go command on the workspace is the slow kind).
	enqueue := func(ready []*Step, s *Step) []*Step {
		i := len(ready)
		for i > 0 && estimate(opts.Durations, ready[i-1]) > estimate(opts.Durations, s) {
			i--
		}
		return slices.Insert(ready, i, s)
	}
	var ready []*Step
	for _, s := range g.order {
		if pending[s] == 0 {
			ready = enqueue(ready, s)
		}
	}
	// With two slots or more, one of them takes the longest ready step
	// while the others take the quickest: a long step (typecheck, lint)
	// starts at once instead of after every quick one, and never more
	// than one long step holds a slot the quick ones wait for.
	long := make(map[*Step]bool) // the steps started from the long end
	longRunning := 0
	// -failfast stops the steps that are running, too, in a verify run:
	// a formatting error ends the run in seconds even while vet goes on.
	stepCtx, stopSteps := context.WithCancel(ctx)
	defer stopSteps()
	firstFailed := ""
	running := 0
	for finished := 0; finished < len(g.order); {
		// Start or skip what is ready while a slot is free, then wait for
		// one step to end; so fail-fast sees every failure before it starts
		// another step.
		for len(ready) > 0 {
			at := 0
			if jobs >= 2 && longRunning == 0 && len(ready) > 1 {
				at = len(ready) - 1
			}
			s := ready[at]
			reason := skipReason(ctx, s, results, failed && opts.FailFast)
			if slices.Contains(opts.Skip, s.Name) {
				reason = "skipped as asked (-skip)"
			}
			var only []*workspace.Module
			if change != nil && reason == "" {
				var run bool
				var why string
				if run, only, why = change.step(ws, s); !run {
					reason = notAffected + why
				}
			}
			if reason != "" {
				ready = slices.Delete(ready, at, at+1)
				res := &Result{Step: s.Name, Status: Skipped, Reason: reason}
				finishedFn(res)
				done <- outcome{s, res, false}
				running++
				continue
			}
			if !opts.slots.tryAcquire() {
				break // every slot is taken: wait for a step to end
			}
			ready = slices.Delete(ready, at, at+1)
			if at > 0 {
				long[s] = true
				longRunning++
			}
			startedFn(s.Name)
			running++
			stepWS := ws
			eg.Go(func() error {
				res := cachedRun(stepCtx, s, opts, stepWS, keys, only)
				if only != nil {
					res.Notes = append(res.Notes, fmt.Sprintf("-since=%s: %d of %d modules affected", opts.Since, len(only), len(stepWS.Modules)))
				}
				// The slot is released by the loop, not here: else a
				// step could start in it before the loop has seen this
				// one fail (and fail-fast would not stop it).
				done <- outcome{s, res, true}
				return nil
			})
		}
		o := <-done
		if o.ran {
			opts.slots.release()
		}
		if long[o.step] {
			longRunning--
		}
		running--
		finished++
		s, res := o.step, o.res
		if firstFailed != "" && res.Status == Failed && res.Reason == "interrupted" && ctx.Err() == nil {
			res.Status, res.Reason = Skipped, "fail-fast: stopped when "+firstFailed+" failed"
		}
		if own, ok := opts.Shadow[s.Name]; ok && opts.Mode == Verify && res.Status != Skipped {
			shadowed(res, own)
		}
		if baselined != nil {
			nBaselined += baseline.filter(res, baselined)
		}
		res.nameCommand(opts.FixCommand)
		results[s] = res
		if res.Status != Skipped || o.ran {
			finishedFn(res)
		}
		// Steps that start after an update changed go.work or a go.mod
		// see the new workspace, so one update run converges.
		if slices.ContainsFunc(res.Changed, func(f string) bool {
			b := path.Base(strings.TrimSuffix(f, " (removed)"))
			return b == "go.work" || b == "go.mod"
		}) {
			if fresh, err := workspace.Load(ctx, ws.Root, opts.Env); err == nil {
				ws = fresh
				loaded = append(loaded, fresh)
			}
		}
		if res.Status == Failed {
			failed = true
			if opts.FailFast && opts.Mode == Verify && firstFailed == "" { // an update's writes are never cut short
				firstFailed = s.Name
				stopSteps()
			}
		}
		for _, d := range dependents[s] {
			if pending[d]--; pending[d] == 0 {
				ready = enqueue(ready, d)
			}
		}
	}
	eg.Wait()
	if opts.Notices != nil && opts.Mode == Verify {
		warnings = append(warnings, opts.Notices(ws)...)
	}
	if baselined != nil {
		warnings = append(warnings, baseline.stale(ws.Root)...)
		warnings = append(warnings, fmt.Sprintf("baseline: %d of the %d findings %s accepts were left out; new ones fail (-baseline=off shows every finding)", nBaselined, baseline.Len(), BaselineFile))
	}
	rep := &Report{Name: runName(opts), Mode: opts.Mode, Root: ws.Root, Interrupted: ctx.Err() != nil, Warnings: warnings}
	if keys != nil {
		if w := keys.commit(ctx); w != "" {
			rep.Warnings = append(rep.Warnings, w)
		}
		if err := keys.save(); err != nil {
			rep.Warnings = append(rep.Warnings, "cache: "+err.Error())
		}
		rep.Warnings = append(rep.Warnings, keys.warnings...)
		if w := keys.remoteWarning(); w != "" {
			rep.Warnings = append(rep.Warnings, w)
		}
		keys.close()
	}
	if buildCacheDown != "" {
		if msg, err := os.ReadFile(buildCacheDown); err == nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("cache: the remote build cache %s failed (%s); the go commands went on with the local one", opts.RemoteCache.URL, strings.TrimSpace(string(msg))))
			os.Remove(buildCacheDown)
		}
	}
	rep.Duration = time.Since(start)
	rep.Command = opts.FixCommand
	for _, s := range g.order {
		rep.Results = append(rep.Results, results[s])
	}
	if opts.Mode == Verify {
		for _, b := range rep.Results {
			own, ok := opts.Shadow[b.Step]
			if !ok || b.Status == Skipped {
				continue
			}
			if o := rep.Result(own); o != nil && o.Status != Skipped {
				rep.Shadow = append(rep.Shadow, compareShadow(b, o))
			}
		}
	}
	return rep, nil
}

// estimate is how long a step is expected to take, in seconds: its
// recorded duration, else 30 for a step that runs the go command on the
// workspace's packages and 1 for any other.
func estimate(durations map[string]float64, s *Step) float64 {
	if d, ok := durations[s.Name]; ok {
		return d
	}
	if s.Inputs.Go {
		return 30
	}
	return 1
}

// nameCommand writes the repository's command into what the step said:
// steps name a target as "go tool mage <target>" (MageCommand), which is
// the command only where the magefiles are part of the root module.
func (r *Result) nameCommand(command string) {
	if command == MageCommand || command == "" {
		return
	}
	fix := func(s string) string { return strings.ReplaceAll(s, MageCommand+" ", command+" ") }
	r.Reason = fix(r.Reason)
	for i := range r.Notes {
		r.Notes[i] = fix(r.Notes[i])
	}
	for i := range r.Findings {
		r.Findings[i].Message = fix(r.Findings[i].Message)
		r.Findings[i].Detail = fix(r.Findings[i].Detail)
	}
}

// openKeys opens the cache at dir, which must be outside the workspace
// (its own files would otherwise become inputs of the steps that read
// every file), and lists and stats the workspace's files for the keys.
func openKeys(ctx context.Context, ws *workspace.Workspace, dir string, remote cache.RemoteConfig, steps []*Step) (*keyer, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if rel, err := filepath.Rel(ws.Root, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("the cache directory %s is inside the workspace", abs)
	}
	c, err := cache.Open(abs, 0)
	if err != nil {
		return nil, err
	}
	k, err := newKeyer(ctx, ws, c, steps)
	if err != nil || remote.URL == "" {
		return k, err
	}
	if k.remote, err = cache.NewRemote(remote); err != nil {
		k.warn("cache: " + err.Error() + "; running with the local cache only")
	}
	return k, nil
}

func runName(opts Options) string {
	if opts.Name != "" {
		return opts.Name
	}
	return opts.Mode.String()
}

// notAffected starts the reason of a step that -since leaves out; such a
// step counts as passed for the steps that require it.
const notAffected = "not affected: "

// skipReason says why s must not run, or "" if it may.
func skipReason(ctx context.Context, s *Step, results map[*Step]*Result, failFast bool) string {
	for _, r := range s.Requires {
		switch results[r].Status {
		case Failed:
			return "requirement " + r.Name + " failed"
		case Skipped:
			if strings.HasPrefix(results[r].Reason, notAffected) {
				continue
			}
			return "requirement " + r.Name + " was skipped"
		}
	}
	switch {
	case ctx.Err() != nil:
		return "interrupted"
	case failFast:
		return "fail-fast: an earlier step failed"
	}
	return ""
}

// runStep runs one step, for the given modules (nil: all), and turns
// what it reported into a Result.
func runStep(ctx context.Context, s *Step, opts Options, ws *workspace.Workspace, modules []*workspace.Module) *Result {
	res, _ := runStepReads(ctx, s, opts, ws, modules)
	return res
}

// runStepReads is runStep that also returns what the step read through
// its Pass.
func runStepReads(ctx context.Context, s *Step, opts Options, ws *workspace.Workspace, modules []*workspace.Module) (res *Result, reads []cache.Read) {
	return runStepScoped(ctx, s, opts, ws, modules, nil)
}

// runStepScoped is runStepReads for a step that checks, of some modules,
// only the packages that packages lists (module directory -> package
// directories); a module it does not list is checked whole.
func runStepScoped(ctx context.Context, s *Step, opts Options, ws *workspace.Workspace, modules []*workspace.Module, packages map[string][]string) (res *Result, reads []cache.Read) {
	pass := &Pass{Step: s, Mode: opts.Mode, Workspace: ws, Env: ws.Env, ctx: ctx, modules: modules, packages: packages, slots: opts.slots}
	defer func() { reads = pass.recorded(); res.Reads = reads }()
	start := time.Now()
	err := runPass(s, pass, opts)
	res = &Result{
		Step:     s.Name,
		Status:   Passed,
		Duration: time.Since(start),
		Findings: pass.findings,
		Changed:  pass.changed,
		Notes:    pass.notes,
		Cases:    pass.cases,
		Log:      pass.log.String(),
		Commands: pass.commands,
		Usage:    pass.usage,
	}
	if pass.notCached != "" {
		res.notCached, res.CacheNote = true, "not cached: "+pass.notCached
	}
	switch {
	case ctx.Err() != nil:
		res.Status, res.Reason = Failed, "interrupted"
	case err != nil:
		var usage *UsageError
		res.Status, res.Reason, res.Usage = Failed, err.Error(), res.Usage || errors.As(err, &usage)
	case len(res.Findings) > 0:
		res.Status = Failed
	}
	if opts.Mode == Verify && s.Fixable() && pass.proposed {
		res.Fix = fixCommand(opts, s)
	}
	return res, nil
}

// runPass runs a step's Run on its pass: for an update step after the
// snapshot its writes are checked against (without one, it does not run),
// for a PerModule step in a verify run once per module.
func runPass(s *Step, pass *Pass, opts Options) error {
	if opts.Mode == Update && s.Fixable() {
		if err := pass.snapshot(); err != nil {
			return fmt.Errorf("snapshot the files %s may write: %w", s.Name, err)
		}
	}
	if mods := pass.Modules(); s.PerModule && opts.Mode == Verify && len(mods) > 1 {
		return runPerModule(pass, mods, opts)
	}
	return safeRun(s, pass)
}

// runPerModule runs a PerModule step once per module, each with a pass
// of its own, and gathers what they reported into pass. A module runs on
// the step's own slot, or beside it on a slot of the run that is free, so
// that the run never starts more than Jobs tools at once.
func runPerModule(pass *Pass, mods []*workspace.Module, opts Options) error {
	subs := make([]*Pass, len(mods))
	errs := make([]error, len(mods))
	var wg sync.WaitGroup
	for i, m := range mods {
		subs[i] = &Pass{Step: pass.Step, Mode: pass.Mode, Workspace: pass.Workspace, Env: pass.Env, ctx: pass.ctx, modules: []*workspace.Module{m}, packages: pass.packages, slots: opts.slots}
		if opts.slots != nil && opts.slots.tryAcquire() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer opts.slots.release()
				errs[i] = safeRun(pass.Step, subs[i])
			}()
			continue
		}
		errs[i] = safeRun(pass.Step, subs[i])
	}
	wg.Wait()
	for _, sub := range subs {
		for file, i := range sub.fixable {
			pass.addFixable(len(pass.findings)+i, file)
		}
		pass.findings = append(pass.findings, sub.findings...)
		pass.notes = append(pass.notes, sub.notes...)
		pass.cases = append(pass.cases, sub.cases...)
		pass.changed = append(pass.changed, sub.changed...)
		pass.proposed = pass.proposed || sub.proposed
		pass.log.Write(sub.log.Bytes())
		pass.commands = append(pass.commands, sub.commands...)
		pass.usage = pass.usage || sub.usage
		for r := range sub.reads {
			pass.record(r)
		}
	}
	return errors.Join(errs...)
}

// safeRun calls s.Run, turning a panic into an error.
func safeRun(s *Step, pass *Pass) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return s.Run(pass)
}

// fixCommand returns the command that runs the update form of s: its own
// target, or update -what=<name> for a step without one.
func fixCommand(opts Options, s *Step) string {
	prefix := opts.FixCommand
	if prefix == "" {
		prefix = MageCommand
	}
	if opts.HasTargets != nil && !opts.HasTargets(s.Name) {
		return prefix + " update -what=" + s.Name
	}
	return prefix + " update:" + s.Name
}
