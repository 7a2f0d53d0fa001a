//go:build unix

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hackless/hackless/internal/remotetest"
	"github.com/hackless/hackless/internal/testws"
)

// report reads the JSON report of the last verify run in dir.
func report(t *testing.T, dir string) (results []struct {
	Step           string
	Status         string
	Cached, Remote bool
}, warnings []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "_output", "hackless", "verify.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Step           string
			Status         string
			Cached, Remote bool
		}
		Warnings []string
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Results, rep.Warnings
}

// TestRemoteCache shares the step cache of two clones, at different paths
// and with local caches of their own, through a real bazel-remote server;
// then kills the server in the middle of a run, and corrupts what it
// stored on its disk.
func TestRemoteCache(t *testing.T) {
	t.Parallel()
	one := adopter(t)
	srv := remotetest.Start(t, "")
	clone := func() string {
		dir := filepath.Join(t.TempDir(), "elsewhere", "clone")
		testws.Run(t, one, "git", "clone", "-q", one, dir)
		return dir
	}
	two, three := clone(), clone()
	verify := func(dir string, env ...string) string {
		t.Helper()
		env = append([]string{"HACKLESS_CACHE_DIR=" + t.TempDir(), "HACKLESS_REMOTE_CACHE=" + srv.URL, "HACKLESS_REMOTE_CACHE_KEY=e2e-signing-key"}, env...) // signed: the server cannot forge a pass
		out, code := run(t, dir, env, "verify")
		wantCode(t, out, code, 0)
		return out
	}

	// The first clone fills the server.
	verify(one)
	results, warnings := report(t, one)
	if srv.Requests("PUT") == 0 || len(warnings) > 0 {
		t.Fatalf("the first clone stored %d entries; warnings %q", srv.Requests("PUT"), warnings)
	}

	// The second, at another path with an empty local cache, runs nothing.
	puts := srv.Requests("PUT")
	start := time.Now()
	out := verify(two)
	warm := time.Since(start)
	results, warnings = report(t, two)
	for _, r := range results {
		if r.Status == "passed" && !(r.Cached && r.Remote) {
			t.Errorf("%s was not served by the remote cache in the second clone", r.Step)
		}
	}
	if len(warnings) > 0 || srv.Requests("PUT") != puts {
		t.Errorf("second clone: warnings %q, %d entries stored; want none", warnings, srv.Requests("PUT")-puts)
	}
	if t.Failed() {
		t.Fatalf("second clone:\n%s", out)
	}
	t.Logf("a clone with an empty local cache against a warm server: %s", warm.Round(time.Millisecond))

	// Killed mid-run: once the run has asked the server for something,
	// the server goes; the run passes with one warning.
	testws.Write(t, three, testws.Files{"staging/src/example.com/client/client.go": "// Package client talks to the API.\npackage client\n\nimport \"example.com/api\"\n\n// Describe names the API, changed.\nfunc Describe() string { return \"client of \" + api.Name }\n"})
	gets := srv.Requests("GET")
	killed := make(chan bool)
	go func() {
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if srv.Requests("GET") > gets {
				srv.Kill()
				killed <- true
				return
			}
		}
		killed <- false
	}()
	out = verify(three)
	if !<-killed {
		t.Fatal("the run never asked the server")
	}
	results, warnings = report(t, three)
	if len(warnings) != 1 || !strings.Contains(warnings[0], "remote cache "+srv.URL+" failed") {
		t.Errorf("with the server killed mid-run: warnings %q; want one about the remote cache\n%s", warnings, out)
	}
	for _, r := range results {
		if r.Status == "failed" {
			t.Errorf("%s failed with the server down", r.Step)
		}
	}

	// Every stored entry altered on the server's disk, the server
	// restarted on it: nothing it serves is a pass.
	corrupted := 0
	filepath.Walk(filepath.Join(srv.Dir, "ac.v2"), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		if i := bytes.Index(data, []byte(`"Step":"`)); i >= 0 {
			data[i+len(`"Step":"`)] ^= 0x20 // the step's name, its case flipped
			os.WriteFile(p, data, fi.Mode())
			corrupted++
		}
		return nil
	})
	if corrupted == 0 {
		t.Fatal("no entry found on the server's disk")
	}
	srv = remotetest.Start(t, srv.Dir)
	four := clone()
	verify(four)
	results, warnings = report(t, four)
	for _, r := range results {
		if r.Cached {
			t.Errorf("%s was served from a corrupted entry", r.Step)
		}
	}
	if w := strings.Join(warnings, "\n"); !strings.Contains(w, "signature mismatch") && !strings.Contains(w, "corrupt") {
		t.Errorf("no warning about the corrupted entries: %q", warnings)
	}
}

// TestRemoteBuildCache: with the build cache served through the server
// (GOCACHEPROG, served by the magefile binary itself), what vet compiled
// in one clone is fetched, not compiled, by another clone whose local
// caches are empty.
func TestRemoteBuildCache(t *testing.T) {
	t.Parallel()
	one := adopter(t)
	// The only standard package vet needs is unicode/utf8, which imports
	// nothing: compiling fmt's dependencies (runtime among them) into an
	// empty build cache took 35 CPU-seconds and tested nothing more.
	testws.Run(t, one, "git", "rm", "-q", "staging/src/example.com/client/client_test.go")
	testws.Write(t, one, testws.Files{"cmd/root/main.go": "package main\n\nimport (\n\t\"unicode/utf8\"\n\n\t\"example.com/api/helpers\"\n\t\"example.com/client\"\n)\n\nfunc main() {\n\tprintln(utf8.RuneCountInString(helpers.Describe() + client.Describe()))\n}\n"})
	testws.Run(t, one, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "no fmt, no tests")
	srv := remotetest.Start(t, "")
	vet := func(dir string) (string, time.Duration) {
		t.Helper()
		env := []string{"HACKLESS_CACHE_DIR=" + t.TempDir(), "HACKLESS_REMOTE_CACHE=" + srv.URL, "HACKLESS_REMOTE_BUILDCACHE=1", "HACKLESS_REMOTE_CACHE_KEY=e2e-signing-key"}
		start := time.Now()
		out, code := run(t, dir, env, "verify:vet")
		wantCode(t, out, code, 0)
		return out, time.Since(start)
	}
	_, cold := vet(one)
	casPuts := srv.Requests("PUT", "/cas/")
	if casPuts == 0 {
		t.Fatal("vet stored no build output on the server: GOCACHEPROG was not served")
	}
	// Another clone, a change that makes vet run again.
	two := filepath.Join(t.TempDir(), "two")
	testws.Run(t, one, "git", "clone", "-q", one, two)
	testws.Write(t, two, testws.Files{"cmd/root/extra.go": "package main\n\n// Extra makes vet run.\nvar Extra = 1\n"})
	out, warm := vet(two)
	if srv.Requests("GET", "/cas/") == 0 {
		t.Errorf("the second clone fetched no build output:\n%s", out)
	}
	_, warnings := report(t, two)
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
	t.Logf("verify:vet with empty local caches: %s against an empty server, %s against a warm one (%d outputs stored)", cold.Round(time.Millisecond), warm.Round(time.Millisecond), casPuts)
}
