// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/internal/testws"
)

// TestProgramsRebuiltForAnotherGo: a program hackless builds for a step is
// kept per version of the go command that builds it. When go.work's
// toolchain line moves, the next run builds the program again instead of
// starting what the older Go built.
func TestProgramsRebuiltForAnotherGo(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads a Go toolchain through the module proxy")
	}
	t.Setenv("HACKLESS_CACHE_DIR", t.TempDir())
	var built []string // the go version of each build
	program := &build.Step{
		Name:     "program",
		Doc:      "builds a program and starts it",
		Inputs:   build.Inputs{Tools: []build.Tool{build.GoCommand}, Go: true},
		Uncached: true,
		Run: func(pass *build.Pass) error {
			exe, err := cachedProgram(pass, "program@v1", outsideModules(pass), func(out string) error {
				v, err := pass.Output(outsideModules(pass)("env", "GOVERSION"))
				if err != nil {
					return err
				}
				built = append(built, strings.TrimSpace(string(v)))
				return os.WriteFile(out, []byte("#!/bin/sh\n"), 0o755)
			})
			if err != nil {
				return err
			}
			_, err = pass.Output(pass.Command(".", exe))
			return err
		},
	}
	dir := testws.New(t, testws.Staging())
	verify := func() {
		t.Helper()
		if rep, out := runSteps(t, dir, build.Verify, nil, program); rep.ExitCode() != build.ExitOK {
			t.Fatalf("verify:\n%s", out)
		}
	}
	verify()
	verify()
	if len(built) != 1 {
		t.Fatalf("two runs with one Go built the program %d times, want once: %q", len(built), built)
	}
	other := "go1.25.14" // the oldest supported release, as .ci/run uses
	if built[0] == other {
		other = "go1.26.8"
	}
	testws.Replace(t, dir, "go.work", "use (", "toolchain "+other+"\n\nuse (")
	verify()
	verify()
	if want := []string{built[0], other}; !slices.Equal(built, want) {
		t.Errorf("builds by Go version: %q, want %q (after go.work moved to %s)", built, want, other)
	}
}

func TestFileSafe(t *testing.T) {
	for _, tt := range []struct{ v, want string }{
		{"go1.26.8", "go1.26.8"},
		{"go1.25.14 X:jsonv2", "go1.25.14_X_jsonv2"},
		{"devel go1.27-2b1d3c Tue Nov 3 10:11:12 2026 +0000", "devel_go1.27-2b1d3c_Tue_Nov_3_10_11_12_2026_+0000"},
	} {
		if got := fileSafe(tt.v); got != tt.want {
			t.Errorf("fileSafe(%q) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// TestKeepProgram: a program is built once, a use marks it, and a build
// removes the programs (with their locks) and interrupted builds that have
// gone unused for cache.UnusedFor, never one a run has just marked.
func TestKeepProgram(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	at := func(name string, age time.Duration, isDir bool) {
		p := filepath.Join(dir, name)
		if isDir {
			os.Mkdir(p, 0o755)
		} else {
			os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755)
		}
		os.Chtimes(p, now.Add(-age), now.Add(-age))
	}
	long := cache.UnusedFor + time.Hour
	at("old", long, false)
	at("old.lock", long, false)
	at("failed.lock", long, false)
	at(".build-1", long, true)
	at("recent", cache.UnusedFor-time.Hour, false)
	at("used", long, false)
	builds := 0
	build := func(exe string) error {
		builds++
		return os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	}
	keep := func(name string) {
		t.Helper()
		if exe, err := keepProgram(filepath.Join(dir, name), now, build); err != nil || exe != filepath.Join(dir, name) {
			t.Fatalf("keepProgram(%s) = %s, %v", name, exe, err)
		}
	}
	keep("used") // there, but not marked for days: marked now
	if builds != 0 {
		t.Fatalf("a program that is there was built again")
	}
	keep("new")
	keep("new")
	if builds != 1 {
		t.Errorf("%d builds of a new program, want 1", builds)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"new", "new.lock", "recent", "used", "used.lock"}; !slices.Equal(left, want) {
		t.Errorf("after a build, the programs directory holds %q, want %q", left, want)
	}
}
