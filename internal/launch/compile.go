// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package launch

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/magefile/mage/mage"

	"github.com/hackless/hackless/build/cache"
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
// root, compiling it when binDir holds nothing compiled from the same Key.
// The binaries in binDir are named by their Key alone: the compile does
// not depend on where the repository is (-trimpath), so clones and git
// worktrees of one commit share one binary. Compiling holds a lock on
// binDir, so concurrent launches compile once and never see each other's
// half-written files, and compiles of different repositories take turns.
// Mage's transient mage_output_file.go is the only file written in the
// tree, and only while the lock is held. Compiler output goes to log.
// After a compile, binaries unused for a day are removed beyond the
// newest few (see trim). A go.work or go.mod that cannot be read is a
// *ConfigError.
func Binary(root, binDir string, force bool, log io.Writer) (string, error) {
	key, err := Key(root)
	if err != nil {
		return "", &ConfigError{err}
	}
	bin := filepath.Join(binDir, key+exeSuffix)
	if fi, err := os.Stat(bin); err == nil && !force {
		cache.MarkUsed(bin, fi, time.Now())
		return bin, nil
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return "", err
	}
	// One compile at a time on the machine, too: the go command's build
	// cache races when two processes build the same main package at once
	// (two clones of one repository), and a link then fails with "cannot
	// open file DO NOT USE - main build pseudo-cache built".
	unlock, err := filelock.Lock(filepath.Join(binDir, "compile.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil && !force {
		return bin, nil // another launch compiled it while we waited
	}
	// Mage writes the binary's name into its usage texts: the same name
	// every time, so that every clone builds the same bytes.
	tmpDir, err := os.MkdirTemp(binDir, ".compile-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, "hackless"+exeSuffix)
	restore, err := compileEnv(ModuleDir(root), tmpDir)
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
	trim(binDir, bin, time.Now())
	return bin, nil
}

const (
	// keepBinaries is how many of the most recently used binaries trim
	// keeps, however old: enough to switch between a few branches and
	// repositories without a compile.
	keepBinaries = 8
	// keepUsedWithin keeps every binary used this recently, however many:
	// another launch may be about to start it.
	keepUsedWithin = 24 * time.Hour
)

// trim removes, from binDir, the binaries beyond the keepBinaries most
// recently used that were not used within keepUsedWithin, never current,
// and what interrupted compiles and the per-repository layout of earlier
// versions left there. It touches only names of its own making, so a
// binDir shared with other files loses none of them. It runs only after
// a compile, under the compile lock.
func trim(binDir, current string, now time.Time) {
	entries, err := os.ReadDir(binDir)
	if err != nil {
		return
	}
	type bin struct {
		path string
		used time.Time
	}
	var bins []bin
	for _, e := range entries {
		p, name := filepath.Join(binDir, e.Name()), e.Name()
		switch {
		case e.IsDir() && (strings.HasPrefix(name, ".compile-") || isHex(name, 16)):
			os.RemoveAll(p)
		case !e.IsDir() && isHex(strings.TrimSuffix(name, exeSuffix), 32) && p != current:
			if fi, err := e.Info(); err == nil {
				bins = append(bins, bin{p, fi.ModTime()})
			}
		}
	}
	slices.SortFunc(bins, func(a, b bin) int { return b.used.Compare(a.used) }) // most recent first
	for i, b := range bins {
		if i >= keepBinaries-1 && now.Sub(b.used) > keepUsedWithin {
			os.Remove(b.path)
		}
	}
}

// isHex reports whether s is n lower-case hexadecimal digits, as Key and
// the earlier per-repository directories name them.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// compileEnv sets the launcher's own environment for compiling the
// magefile in the module at modDir, so that it compiles the same way
// whatever the caller set: GOFLAGS is -trimpath, GO111MODULE, GOOS and
// GOARCH are cleared, a TMPDIR that does not exist is dropped, and GOWORK
// names a copy of the go.work the go command would find from modDir (with
// absolute paths) in dir, so that the go command writes go.work.sum
// there, not in the tree. It returns a function that restores the
// environment.
func compileEnv(modDir, dir string) (func(), error) {
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
	if wsRoot, err := workspace.FindRoot(modDir); err == nil {
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
