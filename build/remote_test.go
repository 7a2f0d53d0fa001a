// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
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
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "stored under another key") {
		t.Errorf("no warning about the swapped entries: %q", rep.Warnings)
	}

	// A server that is down: one warning, the run goes on.
	ts.Close()
	rep, n = verify(one, remote)
	if n != 4 || rep.Results[0].Status != Passed || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "failed") {
		t.Errorf("with the server down: %d runs, warnings %q; want every step run and one warning", n, rep.Warnings)
	}
}

// forger is a cache server that learned the wire format and the step and
// module names from honest runs, and answers every key it does not hold
// with a pass it made up: an honest entry of the same step, its header
// rewritten for the asked key and its checksum made anew, its signature
// kept, dropped or guessed in turn. It never has the signing key.
type forger struct {
	*remotetest.Memory
	served atomic.Int32
}

func (f *forger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/ac/")
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/ac/") {
		f.Memory.ServeHTTP(w, r)
		return
	}
	var honest []byte
	f.Edit(func(entries map[string][]byte) {
		if b, ok := entries[r.URL.Path]; ok {
			honest = b
			return
		}
		for _, b := range entries {
			honest = b // any: they are all the same step's here
		}
	})
	if honest == nil {
		http.NotFound(w, r)
		return
	}
	// An ActionResult of one field: stdout_raw (tag 0x2a, length, bytes).
	raw := honest[1:]
	_, n := binary.Uvarint(raw)
	raw = raw[n:]
	sig := ""
	if strings.HasPrefix(string(raw), "hackless-signed-v1 ") {
		line, rest, _ := strings.Cut(string(raw), "\n")
		sig, raw = line+"\n", []byte(rest)
	}
	head, body, _ := strings.Cut(string(raw), "\n")
	fields := strings.Fields(head)
	sum := sha256.Sum256([]byte(body))
	forged := fields[0] + " " + key + " " + hex.EncodeToString(sum[:]) + "\n" + body
	switch f.served.Add(1) % 3 {
	case 0:
		forged = sig + forged // the honest signature, of another key
	case 1:
		guess := hmac.New(sha256.New, []byte("a guess"))
		guess.Write([]byte(forged))
		forged = "hackless-signed-v1 " + hex.EncodeToString(guess.Sum(nil)) + "\n" + forged
	}
	out := append([]byte{5<<3 | 2}, binary.AppendUvarint(nil, uint64(len(forged)))...)
	w.Write(append(out, forged...))
}

// TestRemoteCacheCannotForgeAPass: with a signing key, a server that
// forges entries for every key never makes a failing step pass, however
// many runs it tries; what it served is never kept locally, so a run
// without the remote cache fails too.
func TestRemoteCacheCannotForgeAPass(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	srv := &forger{Memory: remotetest.NewMemory()}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	step := &Step{Name: "check", Inputs: Inputs{Files: []string{"hack/state.txt"}}, Run: func(p *Pass) error {
		data, _ := p.ReadFile("hack/state.txt")
		if strings.TrimSpace(string(data)) != "good" {
			p.Reportf(Position{File: "hack/state.txt", Line: 1}, "not good")
		}
		return nil
	}}
	rc := cache.RemoteConfig{URL: ts.URL, SigningKey: []byte("the team's secret")}
	local := t.TempDir()
	testws.Write(t, dir, testws.Files{"hack/state.txt": "good\n"})
	if rep, _ := run(t, dir, Options{CacheDir: local, RemoteCache: rc}, step); rep.ExitCode() != ExitOK || srv.Len() != 1 {
		t.Fatalf("the honest run: exit %d, %d entries stored", rep.ExitCode(), srv.Len())
	}
	for i := range 6 {
		testws.Write(t, dir, testws.Files{"hack/state.txt": fmt.Sprintf("bad %d\n", i)})
		rep, out := run(t, dir, Options{CacheDir: t.TempDir(), RemoteCache: rc}, step)
		if rep.ExitCode() != ExitFailed || rep.CountCached() != 0 {
			t.Fatalf("run %d: a forged entry served: exit %d, %d cached\n%s", i, rep.ExitCode(), rep.CountCached(), out)
		}
		if w := strings.Join(rep.Warnings, "\n"); srv.served.Load() > 0 && !strings.Contains(w, "failed") {
			t.Errorf("run %d: a forged entry without a warning: %q", i, rep.Warnings)
		}
	}
	if srv.served.Load() == 0 {
		t.Fatal("the forger was never asked: the test tests nothing")
	}
	rep, _ := run(t, dir, Options{CacheDir: local}, step)
	if rep.ExitCode() != ExitFailed {
		t.Errorf("without the remote cache: exit %d, want the failure", rep.ExitCode())
	}
}
