//go:build unix

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hackless/hackless/internal/testws"
)

// children returns the pids whose parent is pid, from /proc.
func children(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 {
			if pp, _ := strconv.Atoi(fields[1]); pp == pid {
				out = append(out, p)
			}
		}
	}
	return out
}

func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// descendants returns every process below pid, depth first.
func descendants(pid int) []int {
	var out []int
	for _, c := range children(pid) {
		out = append(out, c)
		out = append(out, descendants(c)...)
	}
	return out
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// TestLauncherSignals sends SIGTERM to each process of the chain `go` →
// launcher → compiled magefile while a generator runs, and to the whole
// process group, and requires a non-zero exit and no process left behind.
func TestLauncherSignals(t *testing.T) {
	t.Parallel()
	if runtime := os.Getenv("GOOS"); runtime == "windows" {
		t.Skip("unix signals")
	}
	dir := adopter(t)
	testws.Write(t, dir, testws.Files{"hack/codegen.json": `{"commands": [{"dir": ".", "run": ["sleep", "47"]}]}`})
	if out, code := run(t, dir, nil, "-l"); code != 0 {
		t.Fatalf("go tool hackless -l: %d\n%s", code, out) // compiles the magefile once
	}
	for _, tc := range []struct {
		target string
		sig    syscall.Signal
	}{
		{"go", syscall.SIGTERM}, {"launcher", syscall.SIGTERM}, {"magefile", syscall.SIGTERM}, {"group", syscall.SIGTERM},
		{"go", syscall.SIGINT}, {"launcher", syscall.SIGINT}, {"magefile", syscall.SIGINT}, {"group", syscall.SIGINT},
	} {
		target, sig := tc.target, tc.sig
		t.Run(target+"-"+sig.String(), func(t *testing.T) {
			cmd := exec.Command("go", "-C", "magefiles", "tool", "hackless", "verify:codegen")
			cmd.Dir = dir
			cmd.Env = append(toolEnv(t), "HACKLESS_NO_CACHE=1") // the binary compiled above
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait for the generator: go → hackless → magefile → … → sleep.
			var chain []int
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				chain = descendants(cmd.Process.Pid)
				if len(chain) >= 3 && comm(chain[len(chain)-1]) == "sleep" {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if len(chain) < 3 || comm(chain[len(chain)-1]) != "sleep" {
				cmd.Process.Kill()
				t.Fatalf("no generator running under the chain %v:\n%s", chain, out.String())
			}
			pids := map[string]int{"go": cmd.Process.Pid, "launcher": chain[0], "magefile": chain[1]}
			if target == "group" {
				syscall.Kill(-cmd.Process.Pid, sig)
			} else {
				syscall.Kill(pids[target], sig)
			}
			err := cmd.Wait()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					code = 128 + int(ws.Signal()) // as the shell reports it
				}
			}
			// 130 through the launcher, whichever process of the chain
			// or the whole group is signalled (the go command passes
			// SIGINT and SIGTERM on to its tool, or the launcher sees it
			// go away).
			if code != 130 {
				t.Errorf("%v to %s: exit %d, want 130\n%s", sig, target, code, out.String())
			}
			t.Logf("%v to %s: exit %d", sig, target, code)
			waitUntil := time.Now().Add(10 * time.Second)
			for _, p := range chain {
				for alive(p) && time.Now().Before(waitUntil) {
					time.Sleep(50 * time.Millisecond)
				}
				if alive(p) {
					t.Errorf("%v to %s: %s (%d) outlived the run", sig, target, comm(p), p)
					syscall.Kill(p, syscall.SIGKILL)
				}
			}
		})
	}
}

// TestLauncherConcurrentRuns starts several runs at once in one tree,
// from a fresh binary cache each round, and requires every one to give
// the single-run result; the tree stays as it was (no go.work.sum). Then
// two clones at other paths launch from the binary the last round compiled.
func TestLauncherConcurrentRuns(t *testing.T) {
	t.Parallel()
	dir := ownAdopter(t) // compiles in stores of its own
	want, code := run(t, dir, []string{"HACKLESS_NO_CACHE=1"}, "verify", "-what=gofmt")
	if code != 0 {
		t.Fatalf("single run: %d\n%s", code, want)
	}
	var bins string
	for round := range 3 {
		bins = t.TempDir() // every round compiles anew
		var wg sync.WaitGroup
		outs := make([]string, 4)
		codes := make([]int, 4)
		for i := range outs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command("go", "-C", "magefiles", "tool", "hackless", "verify", "-what=gofmt")
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "NO_COLOR=1", "HACKLESS_CACHE_DIR="+bins, "HACKLESS_NO_CACHE=1")
				b, err := cmd.CombinedOutput()
				outs[i] = string(b)
				if err != nil {
					codes[i] = -1
					if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
						codes[i] = ee.ExitCode()
					}
				}
			}()
		}
		wg.Wait()
		for i := range outs {
			if codes[i] != 0 || !strings.Contains(outs[i], "verify: 1 passed, 0 failed") {
				t.Errorf("round %d, run %d: exit %d\n%s", round, i, codes[i], outs[i])
			}
		}
	}
	if s := testws.Run(t, dir, "git", "status", "--porcelain", "--ignored"); strings.TrimSpace(strings.ReplaceAll(s, "!! _output/\n", "")) != "" {
		t.Errorf("launching changed the tree:\n%s", s)
	}

	// Clones elsewhere share the binary the last round compiled: three
	// trees, one compile.
	for _, tree := range []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b", "c")} {
		testws.Run(t, dir, "git", "clone", "-q", dir, tree)
		cmd := exec.Command("go", "-C", "magefiles", "tool", "hackless", "-l")
		cmd.Dir = tree
		cmd.Env = append(os.Environ(), "HACKLESS_CACHE_DIR="+bins)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go tool hackless -l in %s: %v\n%s", tree, err, out)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(bins, "bin"))
	var binaries []string
	for _, e := range entries {
		if e.Name() != "compile.lock" {
			binaries = append(binaries, e.Name())
		}
	}
	if len(binaries) != 1 {
		t.Errorf("three clones of one commit: %d binaries, want one: %q", len(binaries), binaries)
	}
}

// TestLauncherHermetic: the launcher (the binary `go tool hackless` runs)
// gives the clean result under settings that would otherwise change how
// the magefile compiles or what the steps see. The go command acts on some
// of them before any launcher starts (the README lists which), so those
// are tested on the launcher binary itself, and the ones the go command
// tolerates also through `go tool hackless`.
func TestLauncherHermetic(t *testing.T) {
	t.Parallel()
	dir := ownAdopter(t) // compiles in a store of its own
	want, code := run(t, dir, []string{"HACKLESS_NO_CACHE=1"}, "verify", "-what=gofmt vet")
	if code != 0 || !strings.Contains(want, "verify: 2 passed, 0 failed") {
		t.Fatalf("clean: %d\n%s", code, want)
	}
	bin := filepath.Join(t.TempDir(), "hackless")
	build := exec.Command("go", "-C", "magefiles", "build", "-o", bin, "github.com/hackless/hackless/cmd/hackless")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the launcher: %v\n%s", err, out)
	}
	// Every setting at once, each compile forced (-f): a run passes only
	// if the launcher neutralises each of them.
	env := []string{"GOFLAGS=-mod=vendor -tags=foo", "GO111MODULE=off", "GOOS=windows", "GOARCH=arm64", "TMPDIR=/nonexistent", "GOWORK=off", "GOENV=/nonexistent"}
	cmd := exec.Command(bin, "-f", "verify", "-what=gofmt vet")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1", "HACKLESS_NO_CACHE=1", "HACKLESS_CACHE_DIR="+cacheDir(t)), env...)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "verify: 2 passed, 0 failed") {
		t.Errorf("launcher under %v: %v\n%s", env, err, out)
	}
	env = []string{"GOFLAGS=-tags=foo -trimpath", "CGO_ENABLED=0"}
	if out, code := run(t, dir, append([]string{"HACKLESS_NO_CACHE=1"}, env...), "-f", "verify", "-what=gofmt vet"); code != 0 || !strings.Contains(out, "verify: 2 passed, 0 failed") {
		t.Errorf("go tool hackless under %v: exit %d\n%s", env, code, out)
	}
}

// TestOneCacheForEveryEntryPoint: a pass stored through go tool mage is a
// hit through the launcher, and the reverse, though the two link the
// magefile differently (-trimpath, the binary's name); a change to the
// magefile is a miss for both.
func TestOneCacheForEveryEntryPoint(t *testing.T) {
	t.Parallel()
	dir := ownAdopter(t)
	out, code := mage(t, dir, nil, "verify", "-what=gofmt spelling vet")
	wantCode(t, out, code, 0)
	out, code = run(t, dir, nil, "verify", "-what=gofmt spelling vet")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "verify: 3 passed (3 cached)")
	testws.Write(t, dir, testws.Files{"magefiles/test.go": testMagefile("", t.Name()) + "\n// A change.\n"})
	out, code = run(t, dir, nil, "verify", "-what=gofmt spelling vet")
	wantCode(t, out, code, 0)
	if strings.Contains(out, "cached") {
		t.Errorf("a changed magefile is served the passes of the one before:\n%s", out)
	}
	out, code = mage(t, dir, nil, "verify", "-what=gofmt spelling vet")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "verify: 3 passed (3 cached)")
}
