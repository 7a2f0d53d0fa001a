// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/internal/remotetest"
	"github.com/hackless/hackless/internal/testws"
)

// TestRemoteCacheAcrossClones: a pass stored by one clone, with its own
// local cache, serves another clone at another path with an empty local
// cache; what the step read through its Pass is checked in the clone that
// uses the pass. A server that is down, or that serves entries that are
// not what was stored, costs cached results and never turns into a pass.
func TestRemoteCacheAcrossClones(t *testing.T) {
	files := testws.Staging()
	files["hack/exceptions.txt"] = "none\n"
	one, two := testws.New(t, files), testws.New(t, files)
	srv := remotetest.NewMemory()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	var runs atomic.Int32
	findings := map[string]bool{}
	steps := []*Step{
		{Name: "whole", Inputs: Inputs{Files: []string{"**/*.go"}}, Run: func(p *Pass) error {
			runs.Add(1)
			data, err := p.ReadFile("hack/exceptions.txt") // a read the key does not cover
			if err != nil {
				return err
			}
			if findings[strings.TrimSpace(string(data))] {
				p.Reportf(Position{File: "hack/exceptions.txt", Line: 1}, "bad")
			}
			return nil
		}},
		{Name: "permodule", Scope: ScopeModuleDeps, Inputs: Inputs{Files: []string{"**/*.go", "**/go.mod"}}, Run: func(p *Pass) error {
			runs.Add(int32(len(p.Modules())))
			return nil
		}},
	}
	verify := func(dir string, rc cache.RemoteConfig) (*Report, int32) {
		t.Helper()
		runs.Store(0)
		rep, _ := run(t, dir, Options{CacheDir: t.TempDir(), RemoteCache: rc}, steps...)
		return rep, runs.Load()
	}
	remote := cache.RemoteConfig{URL: ts.URL}

	// Clone one fills the server; clone two, with an empty local cache,
	// runs nothing.
	if rep, n := verify(one, remote); n != 4 || rep.CountCached() != 0 || srv.Len() != 4 {
		t.Fatalf("first clone: %d runs, %d cached, %d entries stored; want 4, 0, 4 (%v)", n, rep.CountCached(), srv.Len(), rep.Warnings)
	}
	rep, n := verify(two, remote)
	if n != 0 || rep.CountCached() != 2 || !rep.Results[0].Remote || !rep.Results[1].Remote || len(rep.Warnings) != 0 {
		t.Fatalf("second clone: %d runs, %d cached (%+v); want everything from the remote cache", n, rep.CountCached(), rep.Results)
	}

	// A read the pass recorded is checked in the clone that uses it.
	testws.Write(t, two, testws.Files{"hack/exceptions.txt": "bad\n"})
	findings["bad"] = true
	rep, n = verify(two, remote)
	if n != 1 || rep.Results[0].Status != Failed || !strings.Contains(rep.Results[0].CacheNote, "hack/exceptions.txt changed") {
		t.Errorf("after a recorded read changed: %d runs, %+v; want whole to run and fail", n, rep.Results[0])
	}

	// Read-only: fetches, stores nothing.
	testws.Write(t, two, testws.Files{"hack/exceptions.txt": "other\n"})
	before := srv.Len()
	verify(two, cache.RemoteConfig{URL: ts.URL, ReadOnly: true})
	if srv.Len() != before {
		t.Errorf("a read-only run stored %d entries", srv.Len()-before)
	}

	// Entries that are not what was stored under their key: misses.
	srv.Edit(func(entries map[string][]byte) {
		var keys []string
		for k := range entries {
			keys = append(keys, k)
		}
		first := entries[keys[0]]
		for i, k := range keys { // each serves the next one's key
			if i+1 < len(keys) {
				entries[k] = entries[keys[i+1]]
			} else {
				entries[k] = first
			}
		}
	})
	rep, n = verify(one, remote)
	if n != 4 || rep.CountCached() != 0 {
		t.Errorf("entries swapped between keys: %d runs, %d cached; want every step run", n, rep.CountCached())
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "not what was stored") {
		t.Errorf("no warning about the swapped entries: %q", rep.Warnings)
	}

	// A server that is down: one warning, the run goes on.
	ts.Close()
	rep, n = verify(one, remote)
	if n != 4 || rep.Results[0].Status != Passed || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "failed") {
		t.Errorf("with the server down: %d runs, warnings %q; want every step run and one warning", n, rep.Warnings)
	}
}
