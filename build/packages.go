// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/build/workspace"
)

// pkgIndex is the workspace's packages as ScopePackage keys them, derived
// once per run from the listed files and the imports their headers name
// (goInputs): no go command runs.
type pkgIndex struct {
	// byModule lists each workspace module's package directories, as
	// ./... matches them: directories of the module holding a Go file,
	// none of whose names below the module starts with "." or "_" or is
	// testdata or vendor.
	byModule map[string][]string
	// code and tests are each directory's files the go command compiles
	// for the package (Go files, and cgo and assembly files) and its
	// _test.go files.
	code, tests map[string][]string
	// keys are each directory's key as an import: a hash of its code, of
	// what it embeds and of the keys of the workspace packages its code
	// imports, directly or not (an import cycle, which only files of
	// different platforms can form, is one key for all of it).
	keys map[string]string
	err  error
}

// errUnreadImports says that some Go file's imports could not be read, so
// that no package's key can be known.
var errUnreadImports = errors.New("a Go file's imports could not be read")

// packages returns the run's package index.
func (k *keyer) packages(ctx context.Context) *pkgIndex {
	k.pkgOnce.Do(func() {
		x := &k.pkgs
		gi := k.goInputs(ctx)
		switch {
		case gi.err != nil:
			x.err = gi.err
			return
		case gi.unread:
			x.err = errUnreadImports
			return
		}
		inWorkspace := make(map[string]bool, len(k.ws.Modules))
		for _, m := range k.ws.Modules {
			inWorkspace[m.Rel] = true
		}
		x.code, x.tests, x.byModule = map[string][]string{}, map[string][]string{}, map[string][]string{}
		isPackage := map[string]bool{}
		for _, f := range k.files {
			dir, base := path.Split(f)
			dir = path.Clean(dir)
			switch {
			case strings.HasSuffix(base, "_test.go"):
				x.tests[dir] = append(x.tests[dir], f)
			case strings.HasSuffix(base, ".go"):
				x.code[dir] = append(x.code[dir], f)
			case slices.ContainsFunc(goBuildGlobs, func(g string) bool { ok, _ := path.Match(g, base); return ok }):
				x.code[dir] = append(x.code[dir], f)
				continue
			default:
				continue
			}
			if strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") {
				continue // the go command ignores it
			}
			if o := k.owners[f]; inWorkspace[o] && !isPackage[dir] && matchedByDots(o, dir) {
				isPackage[dir] = true
				x.byModule[o] = append(x.byModule[o], dir)
			}
		}
		for _, dirs := range x.byModule {
			slices.Sort(dirs)
		}
		x.keys = k.importKeys(gi, x)
	})
	return &k.pkgs
}

// matchedByDots reports whether the pattern ./... of the module at mod
// matches the package directory dir.
func matchedByDots(mod, dir string) bool {
	rel := dir
	if mod != "." {
		rel = strings.TrimPrefix(strings.TrimPrefix(dir, mod), "/")
	}
	if rel == "" || rel == "." {
		return true
	}
	for _, elem := range strings.Split(rel, "/") {
		if strings.HasPrefix(elem, ".") || strings.HasPrefix(elem, "_") || elem == "testdata" || elem == "vendor" {
			return false
		}
	}
	return true
}

// importKeys computes every directory's key as an import, one strongly
// connected component of the import graph at a time (Tarjan), so that a
// package's key is computed once however many import it.
func (k *keyer) importKeys(gi *goInputs, x *pkgIndex) map[string]string {
	keys := make(map[string]string)
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var visit func(d string)
	visit = func(d string) {
		index[d], low[d] = len(index), len(index)
		stack = append(stack, d)
		onStack[d] = true
		for _, dep := range slices.Sorted(maps.Keys(gi.pkgs[d])) {
			if _, seen := index[dep]; !seen {
				visit(dep)
				low[d] = min(low[d], low[dep])
			} else if onStack[dep] {
				low[d] = min(low[d], index[dep])
			}
		}
		if low[d] != index[d] {
			return
		}
		var scc []string
		for {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[top] = false
			scc = append(scc, top)
			if top == d {
				break
			}
		}
		slices.Sort(scc)
		h := sha256.New()
		for _, member := range scc {
			fmt.Fprintf(h, "package %s\n", member)
			for _, f := range slices.Concat(x.code[member], gi.embeds[member]) {
				fh, err := k.hash(f, false)
				if err != nil {
					fh = "absent"
				}
				fmt.Fprintf(h, "%s=%s\n", f, fh)
			}
			for _, dep := range slices.Sorted(maps.Keys(gi.pkgs[member])) {
				if !slices.Contains(scc, dep) {
					fmt.Fprintf(h, "import %s=%s\n", dep, keys[dep])
				}
			}
		}
		key := hex.EncodeToString(h.Sum(nil)[:12])
		for _, member := range scc {
			keys[member] = key
		}
	}
	for _, d := range slices.Sorted(maps.Keys(gi.pkgs)) {
		if _, seen := index[d]; !seen {
			visit(d)
		}
	}
	return keys
}

// importsOf returns the workspace package directories that a package's
// files, tests included, import: its own directory left out (an external
// test imports the package it tests).
func importsOf(gi *goInputs, dir string) []string {
	deps := maps.Clone(gi.pkgs[dir])
	if deps == nil {
		deps = map[string]bool{}
	}
	maps.Copy(deps, gi.tests[dir])
	delete(deps, dir)
	return slices.Sorted(maps.Keys(deps))
}

// sharedManifest is the part of a ScopePackage step's manifest that is
// the same for every package: the base, and every file the step reads
// but Go files (configuration, go.work, go.mod and go.sum files, cgo and
// assembly files, replaced and symlinked directories), and every file
// under a vendor directory, counted for every package. It is computed
// once per step and run.
func (k *keyer) sharedManifest(ctx context.Context, s *Step) (*sharedPart, error) {
	k.mu.Lock()
	if k.shared == nil {
		k.shared = make(map[*Step]*sharedPart)
	}
	sm := k.shared[s]
	if sm == nil {
		sm = &sharedPart{}
		k.shared[s] = sm
	}
	k.mu.Unlock()
	sm.once.Do(func() { k.computeShared(ctx, s, sm) })
	return sm, sm.err
}

// computeShared fills in a step's sharedManifest.
func (k *keyer) computeShared(ctx context.Context, s *Step, sm *sharedPart) {
	if sm.m, sm.err = k.baseManifest(ctx, s); sm.err != nil {
		return
	}
	files, _ := patterns(s)
	for _, pat := range files {
		if pat == "**/*.go" {
			continue // the package's own, and the keys of its imports
		}
		groups, err := k.groups(pat, false)
		if err != nil {
			sm.err = err
			return
		}
		for _, o := range append([]string{""}, k.modDirs...) {
			where := o
			if where == "" {
				where = "outside the modules"
			}
			sm.files = k.addGroup(sm.m, sm.files, "files "+pat+" in "+where, groups[o], "file", false)
		}
	}
	// Vendored code is what the go command compiles for a dependency in
	// vendor mode: an edit to it counts for every package, as a go.sum
	// change would.
	var vendored group
	for _, f := range k.files {
		if strings.HasPrefix(f, "vendor/") || strings.Contains(f, "/vendor/") {
			vendored.files = append(vendored.files, f)
		}
	}
	vendored.digest = k.digest(vendored.files, false)
	sm.files = k.addGroup(sm.m, sm.files, "vendored files", &vendored, "vendored", false)
	gi := k.goInputs(ctx)
	sm.files = k.addGroup(sm.m, sm.files, "replaced directories", gi.replaced, "replaced", false)
	sm.files = k.addGroup(sm.m, sm.files, "symlinked directories", gi.linked, "linked", false)
	sm.key = keyOf(sm.m).String()
}

// sharedPart is a step's sharedManifest.
type sharedPart struct {
	once  sync.Once
	m     cache.Manifest
	key   string // the hash of m
	files []string
	err   error
}

// packageManifest lists what a ScopePackage step's result for the
// package at dir depends on: the shared part, the package's files (its
// Go files, tests included, cgo and assembly files, what it embeds), and
// for each workspace package it imports that package's key as an import,
// which covers the code of everything that package imports in turn. It
// returns the package's own files that entered; the shared part lists
// its own, and packageInputs those behind the imports' keys.
func (k *keyer) packageManifest(ctx context.Context, s *Step, dir string) (m cache.Manifest, shared *sharedPart, files []string, err error) {
	x := k.packages(ctx)
	if x.err != nil {
		return nil, nil, nil, x.err
	}
	if shared, err = k.sharedManifest(ctx, s); err != nil {
		return nil, nil, nil, err
	}
	m = cache.Manifest{"shared": shared.key, "package": dir}
	gi := k.goInputs(ctx)
	own := slices.Concat(x.code[dir], x.tests[dir], gi.embeds[dir])
	files = k.addGroup(m, nil, "files of the package", &group{files: own, digest: k.digest(own, false)}, "file", false)
	for _, dep := range importsOf(gi, dir) {
		m["import:"+dep] = x.keys[dep]
	}
	return m, shared, files, nil
}

// packageInputs returns the files behind the keys of the imports of the
// package at dir: the code and embedded files of every workspace package
// it imports, directly or not.
func (k *keyer) packageInputs(ctx context.Context, dir string) []string {
	x, gi := k.packages(ctx), k.goInputs(ctx)
	seen := map[string]bool{dir: true}
	queue := importsOf(gi, dir)
	for _, d := range queue {
		seen[d] = true
	}
	var files []string
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		files = append(files, x.code[d]...)
		files = append(files, gi.embeds[d]...)
		for _, dep := range slices.Sorted(maps.Keys(gi.pkgs[d])) {
			if !seen[dep] {
				seen[dep] = true
				queue = append(queue, dep)
			}
		}
	}
	return files
}

// changedPackages returns the package directories whose code or
// embedded files changed since this run hashed them (unchanged tells, a
// file at a time): what commit checks a package share's imports against.
func (k *keyer) changedPackages(ctx context.Context, unchanged func(string) bool) map[string]bool {
	x, gi := k.packages(ctx), k.goInputs(ctx)
	changed := map[string]bool{}
	for d := range x.keys {
		for _, f := range slices.Concat(x.code[d], gi.embeds[d]) {
			if !unchanged(f) {
				changed[d] = true
				break
			}
		}
	}
	return changed
}

// importsAny reports whether the package at dir imports, directly or not,
// a package of changed.
func (k *keyer) importsAny(ctx context.Context, dir string, changed map[string]bool) bool {
	if len(changed) == 0 {
		return false
	}
	gi := k.goInputs(ctx)
	seen := map[string]bool{dir: true}
	queue := importsOf(gi, dir)
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if seen[d] {
			continue
		}
		seen[d] = true
		if changed[d] {
			return true
		}
		for dep := range gi.pkgs[d] {
			queue = append(queue, dep)
		}
	}
	return false
}

// lookupPackage computes the share of a ScopePackage step for one
// package and returns its cached pass, or nil and why there is none.
func (k *keyer) lookupPackage(ctx context.Context, s *Step, mod *workspace.Module, dir string) (*share, *cache.Entry, string, error) {
	sh, err := k.packageShare(ctx, s, mod, dir)
	if err != nil {
		return nil, nil, "", err
	}
	e, why := k.find(ctx, sh)
	return sh, e, why, nil
}

// packageShare computes the share of a ScopePackage step for one package.
func (k *keyer) packageShare(ctx context.Context, s *Step, mod *workspace.Module, dir string) (*share, error) {
	m, shared, files, err := k.packageManifest(ctx, s, dir)
	if err != nil {
		return nil, err
	}
	return &share{step: s, mod: mod, pkg: dir, m: m, shared: shared.m, sharedFiles: shared.files, files: files, key: keyOf(m), id: lastID(k.ws, s, mod) + "\x00" + dir}, nil
}

// allPassedKey is the key of the fact that every one of the shares
// passed: the entry stored under it when each was a cached pass serves a
// later run whose shares have the same keys with one cache read, not one
// per package. It asserts nothing the shares' own entries did not.
func allPassedKey(s *Step, shares []*share) cache.Key {
	h := sha256.New()
	for _, sh := range shares {
		fmt.Fprintf(h, "%s=%s\n", sh.pkg, sh.key)
	}
	return keyOf(cache.Manifest{"all packages passed": s.Name, "packages": hex.EncodeToString(h.Sum(nil))})
}

// cachedPackages runs a ScopePackage step through the cache: only for
// the packages whose pass does not hold, each module whose packages all
// miss as a whole. A package's share is stored only when no finding
// falls in it, nor in a file outside the packages that ran.
func cachedPackages(ctx context.Context, s *Step, opts Options, ws *workspace.Workspace, keys *keyer, only []*workspace.Module) *Result {
	mods := ws.Modules
	if only != nil {
		mods = only
	}
	x := keys.packages(ctx)
	uncached := func(err error) *Result {
		res := runStep(ctx, s, opts, ws, only)
		res.CacheNote = "not cached: " + err.Error()
		return res
	}
	if x.err != nil {
		if !errors.Is(x.err, errUnreadImports) {
			keys.warn(fmt.Sprintf("cache: no key for %s, so it ran uncached: %v", s.Name, x.err))
		}
		return uncached(x.err)
	}
	type found struct {
		mod *workspace.Module
		dir string
		sh  *share
		e   *cache.Entry
		why string
		err error
	}
	var lookups []*found
	for _, m := range mods {
		for _, dir := range x.byModule[m.Rel] {
			lookups = append(lookups, &found{mod: m, dir: dir})
		}
	}
	if len(lookups) == 0 {
		return uncached(errors.New("no packages"))
	}
	var g errgroup.Group
	g.SetLimit(8)
	for _, l := range lookups {
		g.Go(func() error {
			l.sh, l.err = keys.packageShare(ctx, s, l.mod, l.dir)
			return nil
		})
	}
	g.Wait()
	shares := make([]*share, 0, len(lookups))
	for _, l := range lookups {
		if l.err != nil {
			keys.warn(fmt.Sprintf("cache: no key for %s in %s, so it ran uncached: %v", s.Name, l.dir, l.err))
			return uncached(l.err)
		}
		shares = append(shares, l.sh)
	}
	// Every package passed with these keys before: one read says so.
	allKey := allPassedKey(s, shares)
	if e, err := keys.cache.Get(allKey); err == nil && e != nil && e.Step == s.Name && keys.stillHolds(e.Reads) == "" {
		return &Result{Step: s.Name, Status: Passed, Cached: true, Duration: e.Duration, Notes: e.Notes}
	}
	for _, l := range lookups {
		g.Go(func() error {
			l.e, l.why = keys.find(ctx, l.sh)
			return nil
		})
	}
	g.Wait()
	var misses []*found
	var cachedNotes []string
	var hitDuration time.Duration
	remote := false
	missed := map[string]int{} // module -> packages that miss
	for _, l := range lookups {
		if l.e != nil {
			remote = remote || l.e.Remote
			hitDuration = max(hitDuration, l.e.Duration)
			cachedNotes = append(cachedNotes, l.e.Notes...)
			continue
		}
		misses = append(misses, l)
		missed[l.mod.Rel]++
	}
	if len(misses) == 0 {
		res := &Result{Step: s.Name, Status: Passed, Cached: true, Remote: remote, Duration: hitDuration, Notes: uniq(cachedNotes)}
		if ctx.Err() == nil {
			var reads []cache.Read
			seen := map[cache.Read]bool{}
			for _, l := range lookups {
				for _, r := range l.e.Reads {
					if !seen[r] {
						seen[r] = true
						reads = append(reads, r)
					}
				}
			}
			if err := keys.cache.Put(allKey, &cache.Entry{Step: s.Name, Package: "(every package)", Duration: res.Duration, Notes: res.Notes, Reads: reads}); err != nil {
				keys.warn("cache: " + err.Error())
			}
		}
		return res
	}
	var runMods []*workspace.Module
	packages := map[string][]string{} // module -> packages, for a module not run whole
	ran := map[string]bool{}
	for _, l := range misses {
		ran[l.dir] = true
		if !slices.Contains(runMods, l.mod) {
			runMods = append(runMods, l.mod)
		}
		if missed[l.mod.Rel] < len(x.byModule[l.mod.Rel]) {
			packages[l.mod.Rel] = append(packages[l.mod.Rel], l.dir)
		}
	}
	res, reads := runStepScoped(ctx, s, opts, ws, runMods, packages)
	if !res.notCached {
		res.CacheNote = fmt.Sprintf("%s: %s", misses[0].dir, misses[0].why)
		if len(misses) > 1 {
			res.CacheNote += fmt.Sprintf(" (and %d more packages)", len(misses)-1)
		}
	}
	if hits := len(lookups) - len(misses); hits > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d of %d packages cached", hits, len(lookups)))
	}
	if res.Reason != "" || ctx.Err() != nil || res.notCached {
		return res
	}
	failed := map[string]bool{}
	for _, f := range res.Findings {
		dir := path.Dir(f.Pos.File)
		if f.Pos.File == "" || !ran[dir] {
			return res // a finding no package that ran holds fails them all
		}
		failed[dir] = true
	}
	var all []*share
	for _, l := range lookups {
		all = append(all, l.sh)
	}
	covered := keys.covered(all...)
	for _, l := range misses {
		if failed[l.dir] {
			continue
		}
		keys.store(l.sh, &cache.Entry{Step: s.Name, Module: l.mod.Rel, Package: l.dir, Duration: res.Duration}, reads, covered)
	}
	return res
}

// plannedPackages says, for DryRun, whether a ScopePackage step would run
// for a module, and why.
func (k *keyer) plannedPackages(ctx context.Context, s *Step, m *workspace.Module) PlannedModule {
	pm := PlannedModule{Module: m.Rel}
	x := k.packages(ctx)
	if x.err != nil {
		pm.Run, pm.Why = true, "no key: "+x.err.Error()
		return pm
	}
	runs, remote, first := 0, false, ""
	for _, dir := range x.byModule[m.Rel] {
		_, e, miss, err := k.lookupPackage(ctx, s, m, dir)
		switch {
		case err != nil:
			pm.Run, pm.Why = true, "no key: "+err.Error()
			return pm
		case e != nil:
			remote = remote || e.Remote
			continue
		}
		if runs++; first == "" {
			first = dir + ": " + miss
		}
	}
	switch {
	case runs > 0:
		pm.Run, pm.Why = true, fmt.Sprintf("%d of %d packages run; %s", runs, len(x.byModule[m.Rel]), first)
	case remote:
		pm.Why = "cached (remote)"
	default:
		pm.Why = "cached"
	}
	return pm
}
