// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package gocache

import (
	"bytes"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/internal/remotetest"
)

// The test binary serves GOCACHEPROG itself, as a magefile does.
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == Flag {
		os.Exit(Main())
	}
	os.Exit(m.Run())
}

// goBuild builds a small package with GOCACHEPROG serving from dir and
// returns the compile commands the go command ran.
func goBuild(t *testing.T, src, dir, url string) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-x", ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOCACHEPROG="+exe+" "+Flag, EnvDir+"="+dir, EnvDown+"="+filepath.Join(dir, "down"),
		"HACKLESS_REMOTE_CACHE="+url, "GOFLAGS=", "GOWORK=off", "GO111MODULE=on")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var compiles []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "/compile ") {
			compiles = append(compiles, line)
		}
	}
	return compiles
}

// TestBuildCacheThroughRemote: what one clone's go command compiled, a
// second one with an empty local directory gets from the server instead
// of compiling; a tampered output is compiled again; a server that is
// down leaves the build to the local directory.
func TestBuildCacheThroughRemote(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module example.com/p\n\ngo 1.25\n"), 0o644)
	// A package that imports nothing: one compile, no standard library.
	os.WriteFile(filepath.Join(src, "p.go"), []byte("package p\n\n// Double doubles.\nfunc Double(x int) int { return 2 * x }\n"), 0o644)
	srv := remotetest.NewMemory()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	if c := goBuild(t, src, t.TempDir(), ts.URL); len(c) == 0 {
		t.Fatal("the first build compiled nothing: the cache program was not used")
	}
	if srv.Len() == 0 {
		t.Fatal("the first build stored nothing on the server")
	}
	if c := goBuild(t, src, t.TempDir(), ts.URL); len(c) != 0 || srv.Hits("cas") == 0 {
		t.Errorf("a second clone compiled %d packages (%d outputs fetched); want everything from the server", len(c), srv.Hits("cas"))
	}

	// Every output altered on the server: compiled again, never used.
	srv.Edit(func(entries map[string][]byte) {
		for k, v := range entries {
			if strings.HasPrefix(k, "/cas/") && len(v) > 0 {
				v = bytes.Clone(v)
				v[len(v)/2] ^= 0xff
				entries[k] = v
			}
		}
	})
	if c := goBuild(t, src, t.TempDir(), ts.URL); len(c) == 0 {
		t.Error("outputs altered on the server were used")
	}

	// The server down: the build passes, the marker says why.
	ts.Close()
	dir := t.TempDir()
	goBuild(t, src, dir, ts.URL)
	if _, err := os.Stat(filepath.Join(dir, "down")); err != nil {
		t.Errorf("no marker of the failed server: %v", err)
	}
}
