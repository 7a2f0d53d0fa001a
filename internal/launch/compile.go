// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package launch

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/magefile/mage/mage"

	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/filelock"
)

// A ConfigError is a file the compiled magefile is built from (go.work,
// a go.mod, a magefile) that cannot be read or parsed: the repository's
// configuration is at fault, not the launch, and its message names the
// file and line.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Binary returns the path of the compiled magefile of the repository at
// root, compiling it when nothing compiled from the same Key exists.
// Binaries live under cacheDir, one directory per repository; compiling
// holds a lock there, so concurrent launches compile once and never see
// each other's half-written files; compiles of different repositories
// (two clones) take turns too. Mage's transient mage_output_file.go is
// the only file written in the tree, and only while the lock is held.
// Compiler output goes to log.
// A go.work or go.mod that cannot be read is a *ConfigError.
func Binary(root, cacheDir string, force bool, log io.Writer) (string, error) {
	key, err := Key(root)
	if err != nil {
		return "", &ConfigError{err}
	}
	sum := shortHash(root)
	dir := filepath.Join(cacheDir, "bin", sum)
	bin := filepath.Join(dir, key+exeSuffix)
	if _, err := os.Stat(bin); err == nil && !force {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := filelock.Lock(filepath.Join(dir, "lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil && !force {
		return bin, nil // another launch compiled it while we waited
	}
	// One compile at a time on the machine, too: the go command's build
	// cache races when two processes build the same main package at once
	// (two clones of one repository), and a link then fails with "cannot
	// open file DO NOT USE - main build pseudo-cache built".
	unlockAll, err := filelock.Lock(filepath.Join(cacheDir, "bin", "compile.lock"))
	if err != nil {
		return "", err
	}
	defer unlockAll()
	// Mage writes the binary's name into its usage texts: the same name
	// every time, so that every clone builds the same bytes.
	tmpDir, err := os.MkdirTemp(dir, ".compile-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, "hackless"+exeSuffix)
	restore, err := compileEnv(root, dir)
	if err != nil {
		return "", err
	}
	defer restore()
	var out bytes.Buffer
	code := mage.Invoke(mage.Invocation{
		Dir:        root,
		WorkDir:    root,
		CompileOut: tmp,
		Stdout:     &out,
		Stderr:     &out,
		GoCmd:      "go",
	})
	if code != 0 {
		log.Write(out.Bytes())
		return "", fmt.Errorf("compiling the magefiles failed (mage exit %d)", code)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	// Keep the last few binaries of this repository, for switching
	// branches back and forth; remove the rest.
	prune(dir, bin, 4)
	return bin, nil
}

// compileEnv sets the launcher's own environment for compiling the
// magefile, so that it compiles the same way whatever the caller set:
// GOFLAGS is -trimpath, GO111MODULE, GOOS and GOARCH are cleared, a TMPDIR that does
// not exist is dropped, and GOWORK names a copy of go.work (with absolute
// paths) in dir, so that the go command writes go.work.sum there, not in
// the tree. It returns a function that restores the environment.
func compileEnv(root, dir string) (func(), error) {
	saved := os.Environ()
	restore := func() {
		os.Clearenv()
		for _, kv := range saved {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
	}
	for _, k := range []string{"GOFLAGS", "GO111MODULE", "GOOS", "GOARCH", "GOENV"} {
		os.Unsetenv(k)
	}
	// Without the checkout's path in it, the binary is the same in
	// every clone of a commit, and so is its build ID, which the step
	// cache keys on: a remote cache serves clones at other paths.
	os.Setenv("GOFLAGS", "-trimpath")
	if t := os.Getenv("TMPDIR"); t != "" {
		if fi, err := os.Stat(t); err != nil || !fi.IsDir() {
			os.Unsetenv("TMPDIR")
		}
	}
	work := "off"
	if wsRoot, err := workspace.FindRoot(root); err == nil {
		if data, err := os.ReadFile(filepath.Join(wsRoot, "go.work")); err == nil {
			copyPath, err := workspace.WorkCopy(wsRoot, data, dir)
			if err != nil {
				restore()
				return nil, err
			}
			work = copyPath
		}
	}
	os.Setenv("GOWORK", work)
	return restore, nil
}

// prune removes all but the newest keep binaries in dir, never current.
func prune(dir, current string, keep int) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type bin struct {
		path string
		mod  int64
	}
	var bins []bin
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "lock" || strings.HasPrefix(e.Name(), "go.work") || p == current {
			continue
		}
		if fi, err := e.Info(); err == nil {
			bins = append(bins, bin{p, fi.ModTime().UnixNano()})
		}
	}
	if len(bins) < keep {
		return
	}
	slices.SortFunc(bins, func(a, b bin) int { return cmp.Compare(b.mod, a.mod) }) // newest first
	for _, b := range bins[keep-1:] {
		os.Remove(b.path)
	}
}
