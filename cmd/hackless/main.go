// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Command hackless runs a repository's magefile: from the repository's
// root, `go -C magefiles tool hackless verify` runs the verify target of
// the magefiles, which adoption keeps in a module of their own
// (magefiles/go.mod and magefiles/go.work), with the guarantees a CI job
// needs. `hackless init` adopts hackless (see package adopt).
//
//   - Exit codes survive signals. SIGINT or SIGTERM, to the process group,
//     to the go command or to any process of the chain, ends the run with
//     130 (interrupted) and no orphan; a run that was signalled never
//     exits 0. (`go tool mage` exits 0 when mage dies of a signal:
//     golang/go#79540.)
//   - Concurrent runs are safe. The magefile is compiled once per change
//     of what it is built from (the Go version, the magefiles, their
//     module's go.mod, go.sum, go.work and go.work.sum, and the sources of
//     in-tree packages they import), under a lock, into bin/ of the cache directory
//     (HACKLESS_CACHE_DIR, by default hackless/ in the user cache
//     directory) or into HACKLESS_BIN_DIR; an unchanged repository starts
//     the compiled binary at once, and clones and worktrees of one commit
//     share it.
//   - Launching writes nothing to the tree: go.work.sum goes to a copy.
//   - The compile does not depend on GOFLAGS, GO111MODULE, GOOS, GOARCH or
//     a TMPDIR that does not exist; the run itself gets the caller's
//     environment, which hackless makes hermetic.
//
// Usage: go tool hackless [-f] [mage flags] [targets...], in the
// magefiles' module (go -C magefiles from the root); the targets run at
// the repository's root. -f recompiles. Every other argument goes
// to the compiled magefile, which takes mage's flags (-l, -h, -v, -t).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/adopt"
	"github.com/hackless/hackless/internal/launch"
)

func main() {
	os.Exit(run())
}

func run() int {
	env := os.Environ()
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "init" {
		return adoptRepo(args[1:])
	}
	force := false
	if len(args) > 0 && args[0] == "-f" {
		force, args = true, args[1:]
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hackless:", err)
		return 2
	}
	root := workspace.RepoDir(wd) // go -C magefiles tool hackless: the repository around it

	binDir := os.Getenv("HACKLESS_BIN_DIR")
	if binDir == "" {
		cache := os.Getenv("HACKLESS_CACHE_DIR")
		if cache == "" {
			dir, err := os.UserCacheDir()
			if err != nil {
				fmt.Fprintln(os.Stderr, "hackless: no cache directory:", err)
				return 2
			}
			cache = filepath.Join(dir, "hackless")
		}
		binDir = filepath.Join(cache, "bin")
	}
	if abs, err := filepath.Abs(binDir); err == nil {
		binDir = abs
	}
	bin, err := launch.Binary(root, binDir, force, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hackless:", err)
		if errors.As(err, new(*launch.ConfigError)) {
			return 2 // a malformed go.work or go.mod, as the magefile reports it
		}
		return 1
	}
	return launch.Run(bin, root, args, env)
}

// adoptRepo runs `hackless init`: adoption of hackless by the repository
// around the working directory (see package adopt).
func adoptRepo(args []string) int {
	fs := flag.NewFlagSet("hackless init", flag.ContinueOnError)
	replace := fs.String("replace", "", "require hackless from this local checkout (a replace directive) instead of a released version")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run github.com/hackless/hackless/cmd/hackless@<version> init [-replace=<checkout>]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	v := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = bi.Main.Version
	}
	fmt.Println("hackless init: adopting hackless")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := adopt.Run(ctx, adopt.Options{Version: v, Replace: *replace, Out: os.Stdout}); err != nil {
		fmt.Fprintln(os.Stderr, "hackless init:", err)
		return 1
	}
	return 0
}
