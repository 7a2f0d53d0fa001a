// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package launch

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

// Run runs the compiled magefile bin with args in dir, the repository's
// root, with the caller's environment env, and returns the exit code to exit
// with. SIGINT, SIGTERM and SIGHUP that reach the launcher are passed on
// to the child (SIGINT as SIGTERM, see below), and so is a SIGTERM when
// the launcher's parent (the go command) goes away; the launcher itself
// never dies of them. A signalled run exits 130, or, when a signal killed
// the child outright, 128 plus the signal's number, as a shell does; it
// never exits 0.
func Run(bin, dir string, args, env []string) int {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = env
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		os.Stderr.WriteString("hackless: " + err.Error() + "\n")
		return 1
	}
	done := make(chan struct{})
	signalled := make(chan os.Signal, 1)
	go func() {
		ppid := os.Getppid()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case s := <-sigs:
				select {
				case signalled <- s:
				default:
				}
				if s == os.Interrupt {
					// The child is Mage's main: a SIGINT it gets twice
					// (once from a terminal's process group, once from
					// here) makes it exit 1 at once, "exit forced",
					// without waiting for the targets to stop. SIGTERM
					// stops hackless's targets as SIGINT does.
					s = syscall.SIGTERM
				}
				cmd.Process.Signal(s)
			case <-tick.C:
				if os.Getppid() != ppid {
					ppid = os.Getppid()
					select {
					case signalled <- syscall.SIGTERM:
					default:
					}
					cmd.Process.Signal(syscall.SIGTERM)
				}
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	code := 0
	var ee *exec.ExitError
	killed := false
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code, killed = 128+int(ws.Signal()), true
		}
	default:
		os.Stderr.WriteString("hackless: " + err.Error() + "\n")
		code = 1
	}
	select {
	case <-signalled:
		// An interrupted run exits 130, whatever the child made of the
		// signal (Mage's main exits 1 when its targets take over 5 s to
		// stop), unless a signal killed the child outright.
		if !killed {
			code = interrupted
		}
	default:
	}
	return code
}

// interrupted is the exit code of a run stopped by SIGINT, SIGTERM or
// SIGHUP, or because the go command that started the launcher went away
// (build.ExitInterrupted).
const interrupted = 130
