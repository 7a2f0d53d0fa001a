// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/build/workspace"
)

// cachedRun runs a step through the cache: a step whose inputs match an
// earlier pass, and whose recorded reads still hold, is not run, and
// reports that pass, with its duration, as cached. A step with a module
// scope runs only for the modules whose inputs changed; a module's share
// is stored only when no finding falls in it. Without keys (no cache, or
// an update run), or for an Uncached step, it just runs the step. Passes
// are stored at the end of the run (see commit), not here.
//
// only, when not nil, are the modules a step with a module scope runs for
// (Options.Since); nil is every module.
func cachedRun(ctx context.Context, s *Step, opts Options, ws *workspace.Workspace, keys *keyer, only []*workspace.Module) *Result {
	if keys == nil || s.Uncached {
		return runStep(ctx, s, opts, ws, only)
	}
	switch s.Scope {
	case ScopeWorkspace:
		return cachedWorkspace(ctx, s, opts, ws, keys)
	case ScopePackage:
		return cachedPackages(ctx, s, opts, ws, keys, only)
	}
	return cachedModules(ctx, s, opts, ws, keys, only)
}

// share is one cached result: a step's, or a step's for one module.
type share struct {
	step *Step
	mod  *workspace.Module
	pkg  string // the package directory of a ScopePackage step's share
	// shared, for a package's share, is the part of its manifest every
	// package of the step has, which enters m by its hash, and
	// sharedFiles the files that entered it (not copied into files).
	shared      cache.Manifest
	sharedFiles []string
	m           cache.Manifest
	files       []string // every file that entered m
	key         cache.Key
	id          string
}

// manifest returns everything the share's key holds, input by input, to
// explain a later miss.
func (sh *share) manifest() cache.Manifest {
	if sh.shared == nil {
		return sh.m
	}
	m := maps.Clone(sh.shared)
	maps.Copy(m, sh.m)
	delete(m, "shared")
	return m
}

// lookup computes a share's key and returns its cached pass, or nil and
// why there is none.
func (k *keyer) lookup(ctx context.Context, s *Step, mod *workspace.Module) (*share, *cache.Entry, string, error) {
	var scope []*workspace.Module
	if mod != nil {
		scope = k.scope(ctx, s, mod)
	}
	m, files, err := k.manifest(ctx, s, mod, scope)
	if err != nil {
		return nil, nil, "", err
	}
	sh := &share{step: s, mod: mod, m: m, files: files, key: keyOf(m), id: lastID(k.ws, s, mod)}
	e, why := k.find(ctx, sh)
	return sh, e, why, nil
}

// find returns a share's cached pass, local or remote, or nil and why
// there is none.
func (k *keyer) find(ctx context.Context, sh *share) (*cache.Entry, string) {
	e, err := k.cache.Get(sh.key)
	if e != nil {
		if why := k.stillHolds(e.Reads); why != "" {
			return nil, why
		}
		return e, ""
	}
	why := ""
	switch {
	case errors.Is(err, cache.ErrCorrupt):
		why = "the cache entry was corrupt and is ignored"
	case err != nil:
		k.warn("cache: cannot read entries: " + err.Error())
		why = "the cache could not be read"
	}
	if e, rwhy := k.fromRemote(ctx, sh); e != nil {
		return e, ""
	} else if why == "" {
		why = rwhy
	}
	if why == "" {
		why = cache.Explain(k.cache.Last(sh.id), sh.manifest())
	}
	return nil, why
}

// fromRemote fetches a share's pass from the remote cache, keeps it in
// the local cache, and returns it; or nil and, when the remote had an
// entry that does not serve, why. An entry serves only if it is what was
// stored under the key (cache.Remote checks), is the pass of this step
// for this module, and every read it records still holds here.
func (k *keyer) fromRemote(ctx context.Context, sh *share) (*cache.Entry, string) {
	if k.remote == nil {
		return nil, ""
	}
	e, err := k.remote.Get(ctx, sh.key)
	switch {
	case errors.Is(err, cache.ErrForged):
		// The remote took itself out of the run: its warning says so.
		return nil, "the remote entry was not signed with this cache's key and is ignored"
	case errors.Is(err, cache.ErrCorrupt):
		return nil, "the remote entry was corrupt and is ignored"
	case err != nil:
		return nil, "" // the run's warnings say why the remote went down
	case e == nil:
		return nil, ""
	}
	mod := ""
	if sh.mod != nil {
		mod = sh.mod.Rel
	}
	if e.Step != sh.step.Name || e.Module != mod || e.Package != sh.pkg || e.ReadsID != "" {
		// Not what was stored under this key: the server is not trusted
		// for the rest of the run, and nothing it served is kept.
		k.remote.Distrust(fmt.Errorf("it served the entry of %s for %q under the key of %s for %q", e.Step, cmp.Or(e.Package, e.Module), sh.step.Name, cmp.Or(sh.pkg, mod)))
		return nil, "the remote entry was another step's and is ignored"
	}
	if why := k.stillHolds(e.Reads); why != "" {
		return nil, why + " (remote entry)"
	}
	if err := k.cache.Put(sh.key, e); err != nil {
		k.warn("cache: a remote pass was not kept locally: " + err.Error())
	}
	e.Remote = true
	return e, ""
}

func cachedWorkspace(ctx context.Context, s *Step, opts Options, ws *workspace.Workspace, keys *keyer) *Result {
	sh, e, why, err := keys.lookup(ctx, s, nil)
	if err != nil {
		keys.warn(fmt.Sprintf("cache: no key for %s, so it ran uncached: %v", s.Name, err))
		res := runStep(ctx, s, opts, ws, nil)
		res.CacheNote = "not cached: " + err.Error()
		return res
	}
	if e != nil {
		return &Result{Step: s.Name, Status: Passed, Cached: true, Remote: e.Remote, Duration: e.Duration, Notes: e.Notes}
	}
	res, reads := runStepReads(ctx, s, opts, ws, nil)
	if !res.notCached {
		res.CacheNote = why
	}
	if res.Status == Passed && ctx.Err() == nil && !res.notCached {
		keys.store(sh, &cache.Entry{Step: s.Name, Duration: res.Duration, Notes: res.Notes}, reads, keys.covered(sh))
	}
	return res
}

func cachedModules(ctx context.Context, s *Step, opts Options, ws *workspace.Workspace, keys *keyer, only []*workspace.Module) *Result {
	var misses []*workspace.Module
	var shares, all []*share
	var notes, cachedNotes []string
	var hitDuration time.Duration
	remote := false
	mods := ws.Modules
	if only != nil {
		mods = only
	}
	// The modules' lookups at once: with a remote cache each may wait
	// on the network.
	type found struct {
		sh  *share
		e   *cache.Entry
		why string
		err error
	}
	lookups := make([]found, len(mods))
	var g errgroup.Group
	g.SetLimit(8)
	for i, mod := range mods {
		g.Go(func() error {
			sh, e, why, err := keys.lookup(ctx, s, mod)
			lookups[i] = found{sh, e, why, err}
			return nil
		})
	}
	g.Wait()
	for i, mod := range mods {
		sh, e, why, err := lookups[i].sh, lookups[i].e, lookups[i].why, lookups[i].err
		if err != nil {
			keys.warn(fmt.Sprintf("cache: no key for %s in %s, so it ran uncached: %v", s.Name, mod.Rel, err))
			res := runStep(ctx, s, opts, ws, nil)
			res.CacheNote = "not cached: " + err.Error()
			return res
		}
		all = append(all, sh)
		if e != nil {
			remote = remote || e.Remote
			hitDuration = max(hitDuration, e.Duration)
			cachedNotes = append(cachedNotes, e.Notes...)
			continue
		}
		notes = append(notes, mod.Rel+": "+why)
		misses = append(misses, mod)
		shares = append(shares, sh)
	}
	if len(misses) == 0 {
		return &Result{Step: s.Name, Status: Passed, Cached: true, Remote: remote, Duration: hitDuration, Notes: uniq(cachedNotes)}
	}
	res, reads := runStepReads(ctx, s, opts, ws, misses)
	if !res.notCached {
		if len(notes) > 3 {
			notes = append(notes[:3], fmt.Sprintf("and %d more modules", len(notes)-3))
		}
		res.CacheNote = strings.Join(notes, "; ")
	}
	if hits := len(mods) - len(misses); hits > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d of %d modules cached", hits, len(mods)))
	}
	if res.Reason != "" || ctx.Err() != nil || res.notCached {
		return res // an error or an interruption: nothing is known to pass
	}
	// A module's share does not record reads of the files that another
	// module's share of this step keys on: under the module scope, what
	// a module's files say is that module's verdict.
	covered := keys.covered(all...)
	owners, _ := ws.Owners(ctx)
	for _, sh := range shares {
		// A finding in a module fails that module; one outside every
		// workspace module, or with no file, fails them all.
		failed := slices.ContainsFunc(res.Findings, func(f Finding) bool {
			o := owners.Of(f.Pos.File)
			return f.Pos.File == "" || o == sh.mod.Rel || !slices.ContainsFunc(ws.Modules, func(m *workspace.Module) bool { return m.Rel == o })
		})
		if !failed {
			keys.store(sh, &cache.Entry{Step: s.Name, Module: sh.mod.Rel, Duration: res.Duration}, reads, covered)
		}
	}
	return res
}

// pendingStore is a pass waiting for the end of the run.
type pendingStore struct {
	sh *share
	e  *cache.Entry
}

// covered returns the absolute paths of the files the shares key on.
func (k *keyer) covered(shares ...*share) map[string]bool {
	covered := make(map[string]bool)
	for _, sh := range shares {
		for _, f := range slices.Concat(sh.files, sh.sharedFiles) {
			covered[k.ws.Abs(f)] = true
		}
	}
	return covered
}

// store queues a pass with the reads the step made through its Pass,
// leaving out reads of the files that keys already cover: their content
// is keyed, and so are their existence and size (a step that stats every
// file, as filesizes does, would otherwise store and recheck a read per
// file of the tree on every hit).
func (k *keyer) store(sh *share, e *cache.Entry, reads []cache.Read, covered map[string]bool) {
	for _, r := range reads {
		if (r.Kind != "file" && r.Kind != "stat") || !covered[r.Name] {
			if r.Kind != "env" {
				r.Name = k.portable(r.Name)
			}
			e.Reads = append(e.Reads, r)
		}
	}
	k.mu.Lock()
	k.pending = append(k.pending, pendingStore{sh, e})
	k.mu.Unlock()
}

// commit stores the passes of the run whose inputs are still what their
// keys were computed from: no file came or went in the tree, no input
// file was written since it was hashed (even if written back), and every
// recorded read still holds. As Bazel refuses the outputs of an action
// whose inputs changed while it ran, a pass that may have seen other
// files than its key says is not stored. It returns a warning, or "".
func (k *keyer) commit(ctx context.Context) string {
	if len(k.pending) == 0 || ctx.Err() != nil {
		return ""
	}
	files, err := k.list(ctx, true)
	if err != nil {
		return "cache: nothing stored: " + err.Error()
	}
	if !slices.Equal(files, k.files) {
		return "cache: files were added or removed while the run went on; nothing stored"
	}
	unchanged := make(map[string]bool)
	var changed []string
	isUnchanged := func(f string) bool {
		u, seen := unchanged[f]
		if !seen {
			u = k.hasher.Unchanged(k.ws.Abs(f))
			unchanged[f] = u
			if !u {
				changed = append(changed, f)
			}
		}
		return u
	}
	var toRemote []pendingStore
	stored := 0
	var changedPkgs map[string]bool // package directories with a changed file, once
	for _, p := range k.pending {
		ok := true
		for _, f := range slices.Concat(p.sh.files, p.sh.sharedFiles) {
			ok = isUnchanged(f) && ok
		}
		if ok && p.sh.pkg != "" {
			// A package's key also holds the code of what it imports.
			if changedPkgs == nil {
				changedPkgs = k.changedPackages(ctx, isUnchanged)
			}
			ok = !k.importsAny(ctx, p.sh.pkg, changedPkgs)
		}
		if !ok || k.changedRead(p.e.Reads) != "" {
			continue
		}
		if err := k.cache.Put(p.sh.key, p.e); err != nil {
			return "cache: nothing more stored: " + err.Error()
		}
		if err := k.cache.SetLast(p.sh.id, p.sh.manifest()); err != nil {
			k.warn("cache: the explanation of later misses was not stored: " + err.Error())
		}
		stored++
		toRemote = append(toRemote, p)
	}
	k.upload(ctx, toRemote)
	if stored > 0 {
		if _, err := k.cache.MaybeTrim(time.Now()); err != nil {
			k.warn("cache: trim: " + err.Error())
		}
	}
	if len(changed) > 0 {
		slices.Sort(changed)
		return fmt.Sprintf("cache: %s changed while the run went on; results that read it were not stored", changed[0])
	}
	return ""
}

// upload stores passes in the remote cache, a few at a time; a remote
// that fails stops the upload and is reported among the run's warnings.
func (k *keyer) upload(ctx context.Context, passes []pendingStore) {
	if k.remote == nil || k.remote.ReadOnly() {
		return
	}
	var g errgroup.Group
	g.SetLimit(8)
	for _, p := range passes {
		g.Go(func() error { return k.remote.Put(ctx, p.sh.key, p.e) })
	}
	g.Wait() // an error is the remote's, which Err reports
}

// remoteWarning says, once, why the remote cache went out of the run.
func (k *keyer) remoteWarning() string {
	switch {
	case k.remote == nil:
	case k.remote.Err() != nil:
		return fmt.Sprintf("cache: the remote cache %s failed (%v); the run went on with the local cache", k.remote, k.remote.Err())
	case k.remote.Refused() != nil:
		return fmt.Sprintf("cache: the remote cache %s refused to store passes (%v): set HACKLESS_REMOTE_CACHE_TOKEN, or HACKLESS_REMOTE_CACHE_READONLY=1 to only read", k.remote, k.remote.Refused())
	}
	return ""
}

// stillHolds is changedRead for the lookups of a run: what a read finds
// is taken once per run, however many entries recorded it (the passes of
// a package-scoped step all carry its pass's reads). The end of the run
// checks the reads of what it stores afresh (commit).
func (k *keyer) stillHolds(reads []cache.Read) string {
	for _, r := range reads {
		id := r.Kind + "\x00" + r.Name
		k.mu.Lock()
		now, ok := k.readNow[id]
		k.mu.Unlock()
		if !ok {
			now = k.readSum(r)
			k.mu.Lock()
			if k.readNow == nil {
				k.readNow = make(map[string]string)
			}
			k.readNow[id] = now
			k.mu.Unlock()
		}
		if now != r.Sum {
			return k.describeRead(r)
		}
	}
	return ""
}

// changedRead returns the first recorded read that no longer holds, in a
// few words, or "".
func (k *keyer) changedRead(reads []cache.Read) string {
	for _, r := range reads {
		if k.readSum(r) != r.Sum {
			return k.describeRead(r)
		}
	}
	return ""
}

// describeRead says which read no longer holds.
func (k *keyer) describeRead(r cache.Read) string {
	name := r.Name
	if r.Kind != "env" {
		name = k.ws.Rel(k.resolve(name))
	}
	return r.Kind + " " + name + " changed"
}

// readSum returns what a recorded read finds now.
func (k *keyer) readSum(r cache.Read) string {
	switch r.Kind {
	case "file":
		return sumFile(k.resolve(r.Name))
	case "dir":
		return sumDir(k.resolve(r.Name))
	case "stat":
		fi, err := os.Stat(k.resolve(r.Name))
		return sumStat(fi, err)
	case "env":
		return k.ws.Env.Get(r.Name)
	}
	return "unknown read " + r.Kind // never what was recorded
}

// KeyFiles returns the files, absolute and sorted, that enter the cache
// keys of a step in the workspace at dir (for a step with a module scope,
// the keys of all its modules' shares): the files its Inputs declare, and
// for a step that runs the go command those the engine adds. What the
// step reads through its Pass is not among them: it is recorded when the
// step runs. It serves tests that check a key against what a step reads.
func KeyFiles(ctx context.Context, dir string, env []string, s *Step) ([]string, error) {
	ws, err := workspace.Load(ctx, dir, env)
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	tmp, err := os.MkdirTemp("", "hackless-keys-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	c, err := cache.Open(tmp, 0)
	if err != nil {
		return nil, err
	}
	k, err := newKeyer(ctx, ws, c, []*Step{s})
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool)
	if s.Scope == ScopePackage {
		x := k.packages(ctx)
		if x.err != nil {
			return nil, x.err
		}
		for _, m := range ws.Modules {
			for _, dir := range x.byModule[m.Rel] {
				_, shared, files, err := k.packageManifest(ctx, s, dir)
				if err != nil {
					return nil, err
				}
				for _, f := range slices.Concat(files, shared.files, k.packageInputs(ctx, dir)) {
					seen[ws.Abs(f)] = true
				}
			}
		}
		return slices.Sorted(maps.Keys(seen)), nil
	}
	mods := []*workspace.Module{nil}
	if s.Scope != ScopeWorkspace {
		mods = ws.Modules
	}
	for _, m := range mods {
		var scope []*workspace.Module
		if m != nil {
			scope = k.scope(ctx, s, m)
		}
		_, files, err := k.manifest(ctx, s, m, scope)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			seen[ws.Abs(f)] = true
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// sumFile returns the SHA-256 of a file's content, "absent" for a file
// that does not exist, or the error.
func sumFile(abs string) string {
	data, err := os.ReadFile(abs)
	return sumRead(data, err)
}

func sumRead(data []byte, err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "absent"
	case err != nil:
		return "error: " + err.Error()
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// sumStat returns what a stat says of a path that a result may depend on:
// whether it exists, and whether it is a directory.
func sumStat(fi os.FileInfo, err error) string {
	switch {
	case err != nil:
		return sumRead(nil, err)
	case fi.IsDir():
		return "dir"
	}
	return "file"
}

// sumDir returns the SHA-256 of a directory's listing (names and types),
// "absent", or the error.
func sumDir(abs string) string {
	entries, err := os.ReadDir(abs)
	return sumListing(entries, err)
}

func sumListing(entries []os.DirEntry, err error) string {
	if err != nil {
		return sumRead(nil, err)
	}
	h := sha256.New()
	for _, e := range entries {
		fmt.Fprintf(h, "%s %v\n", e.Name(), e.Type())
	}
	return hex.EncodeToString(h.Sum(nil))
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
