package build

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/build/workspace"
)

// cachedRun runs a step through the cache: a step whose inputs match an
// earlier pass is not run, and reports that pass, with its duration, as
// cached. A step with a module scope runs only for the modules whose
// inputs changed; a module's share is stored only when no finding falls
// in it. Without keys (no cache, or an update run) it just runs the step.
func cachedRun(ctx context.Context, s *Step, opts Options, ws *workspace.Workspace, keys *keyer) *Result {
	if keys == nil {
		return runStep(ctx, s, opts, ws, nil)
	}
	if s.Scope == ScopeWorkspace {
		return cachedWorkspace(ctx, s, opts, ws, keys)
	}
	return cachedModules(ctx, s, opts, ws, keys)
}

func cachedWorkspace(ctx context.Context, s *Step, opts Options, ws *workspace.Workspace, keys *keyer) *Result {
	m, err := keys.manifest(ctx, s, nil)
	if err != nil {
		res := runStep(ctx, s, opts, ws, nil)
		res.CacheNote = "not cached: " + err.Error()
		return res
	}
	key, id := keyOf(m), lastID(ws, s, nil)
	e, err := keys.cache.Get(key)
	if e != nil {
		return &Result{Step: s.Name, Status: Passed, Cached: true, Duration: e.Duration, Notes: e.Notes}
	}
	note := cache.Explain(keys.cache.Last(id), m)
	if errors.Is(err, cache.ErrCorrupt) {
		note = "the cache entry was corrupt and is ignored"
	}
	res := runStep(ctx, s, opts, ws, nil)
	res.CacheNote = note
	if res.Status == Passed && ctx.Err() == nil {
		keys.store(key, id, m, &cache.Entry{Step: s.Name, Duration: res.Duration, Notes: res.Notes})
	}
	return res
}

func cachedModules(ctx context.Context, s *Step, opts Options, ws *workspace.Workspace, keys *keyer) *Result {
	type share struct {
		mod *workspace.Module
		m   cache.Manifest
		key cache.Key
		id  string
	}
	var misses []*workspace.Module
	var shares []share
	var notes []string
	var cachedNotes []string
	var hitDuration time.Duration
	for _, mod := range ws.Modules {
		inputs := moduleInputs(ws, mod, s.Scope)
		m, err := keys.manifest(ctx, s, inputs)
		if err != nil {
			return runStep(ctx, s, opts, ws, nil)
		}
		sh := share{mod, m, keyOf(m), lastID(ws, s, mod)}
		e, err := keys.cache.Get(sh.key)
		if e != nil {
			hitDuration = max(hitDuration, e.Duration)
			cachedNotes = append(cachedNotes, e.Notes...)
			continue
		}
		why := cache.Explain(keys.cache.Last(sh.id), sh.m)
		if errors.Is(err, cache.ErrCorrupt) {
			why = "the cache entry was corrupt and is ignored"
		}
		notes = append(notes, mod.Rel+": "+why)
		misses = append(misses, mod)
		shares = append(shares, sh)
	}
	if len(misses) == 0 {
		return &Result{Step: s.Name, Status: Passed, Cached: true, Duration: hitDuration, Notes: uniq(cachedNotes)}
	}
	res := runStep(ctx, s, opts, ws, misses)
	res.CacheNote = strings.Join(notes, "; ")
	if hits := len(ws.Modules) - len(misses); hits > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d of %d modules cached", hits, len(ws.Modules)))
	}
	if res.Reason != "" || ctx.Err() != nil {
		return res // an error or an interruption: nothing is known to pass
	}
	owners, _ := ws.Owners(ctx)
	for _, sh := range shares {
		// A finding in a module fails that module; one outside every
		// workspace module, or with no file, fails them all.
		failed := slices.ContainsFunc(res.Findings, func(f Finding) bool {
			o := owners.Of(f.Pos.File)
			return f.Pos.File == "" || o == sh.mod.Rel || !slices.ContainsFunc(ws.Modules, func(m *workspace.Module) bool { return m.Rel == o })
		})
		if !failed {
			keys.store(sh.key, sh.id, sh.m, &cache.Entry{Step: s.Name, Module: sh.mod.Rel, Duration: res.Duration})
		}
	}
	return res
}

// store records a pass and the manifest that explains later misses.
func (k *keyer) store(key cache.Key, id string, m cache.Manifest, e *cache.Entry) {
	if k.cache.Put(key, e) == nil {
		k.cache.SetLast(id, m)
		k.stored.Store(true)
	}
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
