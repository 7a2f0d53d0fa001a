//go:build unix

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"errors"
	"github.com/hackless/hackless/build"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as a hackless run that a test can
// interrupt: with HACKLESS_TEST_HELPER set it runs helperMain instead.
func TestMain(m *testing.M) {
	if os.Getenv("HACKLESS_TEST_HELPER") == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// helperMain runs, in update mode, a step that writes a.txt and then waits
// on a shell whose background child writes its pid to $DIR/pid.
func helperMain() int {
	dir := os.Getenv("HACKLESS_TEST_DIR")
	step := &build.Step{Name: "slow", Writes: []string{"*.txt"}, Run: func(p *build.Pass) error {
		if err := p.Propose("a.txt", []byte(strings.Repeat("new\n", 1<<16)), "stale"); err != nil {
			return err
		}
		cmd := p.Command(".", "sh", "-c", "sleep 300 & echo $! > pid.tmp && mv pid.tmp pid; wait")
		_, err := p.Output(cmd)
		return err
	}}
	err := Main(context.Background(), Options{Options: build.Options{Mode: build.Update, Dir: dir}, Out: os.Stdout}, step)
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.ExitStatus()
	}
	return 0
}

func helperCommand(t *testing.T, dir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HACKLESS_TEST_HELPER=1", "HACKLESS_TEST_DIR="+dir)
	return cmd
}

func waitPid(t *testing.T, file string) int {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(file)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return pid
		}
	}
	t.Fatalf("%s never appeared", file)
	return 0
}

// waitGone waits for a process that is not our child to end.
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil || zombie(pid) {
			return
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("%s (pid %d) is still running", what, pid)
}

func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] == "Z"
}

func checkNoDebris(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".hackless-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "a.txt"))
	if s := string(b); s != "old\n" && s != strings.Repeat("new\n", 1<<16) {
		t.Errorf("a.txt is half written (%d bytes)", len(b))
	}
}

func TestInterruptBySignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := tinyWorkspace(t)
			cmd := helperCommand(t, dir)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			grandchild := waitPid(t, filepath.Join(dir, "pid"))
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != build.ExitInterrupted {
				t.Errorf("exit: %v, want code %d\n%s", err, build.ExitInterrupted, out.String())
			}
			if !strings.Contains(out.String(), "(interrupted)") {
				t.Errorf("output does not say the run was interrupted:\n%s", out.String())
			}
			waitGone(t, grandchild, "the step's subprocess")
			checkNoDebris(t, dir)
		})
	}
}

// TestInterruptByParentExit kills the helper's parent, as a SIGTERM to
// `mage` does to the compiled magefile, and wants the helper to stop its
// subprocesses and exit.
func TestInterruptByParentExit(t *testing.T) {
	dir := tinyWorkspace(t)
	helper := helperCommand(t, dir)
	sh := exec.Command("sh", "-c", `"$@" & echo $! > helper.pid; wait`, "sh")
	sh.Args = append(sh.Args, helper.Args...)
	sh.Env, sh.Dir = helper.Env, dir
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	helperPid := waitPid(t, filepath.Join(dir, "helper.pid"))
	grandchild := waitPid(t, filepath.Join(dir, "pid"))
	sh.Process.Kill()
	sh.Wait()
	waitGone(t, helperPid, "the orphaned hackless run")
	waitGone(t, grandchild, "the step's subprocess")
	checkNoDebris(t, dir)
}
