// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package atomicfile replaces files so that a reader, or a process killed
// half way, sees either the old content or the new, never a mix.
package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces the file at path with data: it writes a temporary file in
// the same directory, syncs it, gives it the old file's permissions (perm
// for a new file) and renames it over path. It does nothing, and reports
// false, when the file already holds exactly data.
func Write(path string, data []byte, perm fs.FileMode) (changed bool, err error) {
	return WriteIf(path, data, perm, nil)
}

// WriteIf is Write with a precondition: check, when not nil, says whether
// the file at a name still holds what the caller started from, and an
// error from it leaves the file as it is. Update uses it to replace a
// file only while the user has not edited it.
//
// check is called on path just before the new content goes in; where
// the system can swap two files in one step (Linux), the new content is
// swapped in and check is called again on the old file, now under the
// temporary name (moved: its change time is the swap's): an edit saved
// between the first check and the swap is then swapped back. What
// remains is a write the user began before the swap and ends after it,
// into the file swapped out.
func WriteIf(path string, data []byte, perm fs.FileMode, check func(name string, moved bool) error) (changed bool, err error) {
	old, err := os.ReadFile(path)
	existed := err == nil
	switch {
	case err == nil:
		if bytes.Equal(old, data) {
			return false, nil
		}
		if fi, err := os.Stat(path); err == nil {
			perm = fi.Mode().Perm()
		}
	case !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(dir, "."+base+".hackless-*")
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return false, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return false, fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Chmod(perm); err != nil {
		return false, err
	}
	if err = tmp.Close(); err != nil {
		return false, err
	}
	if check == nil {
		return true, os.Rename(tmp.Name(), path)
	}
	if err = check(path, false); err != nil {
		return false, err
	}
	if !existed {
		return true, os.Rename(tmp.Name(), path) // a new file: nothing to keep
	}
	if swapped, _ := exchange(tmp.Name(), path); !swapped {
		// A system or file system that cannot swap (renameat2 fails
		// whole, changing nothing): check, then rename, as elsewhere.
		return true, os.Rename(tmp.Name(), path)
	}
	if err = check(tmp.Name(), true); err != nil {
		// Edited in the meantime: the edit goes back where it was.
		if _, xerr := exchange(tmp.Name(), path); xerr != nil {
			return false, fmt.Errorf("%w; and swapping the edit back failed: %v (it is in %s)", err, xerr, tmp.Name())
		}
		os.Remove(tmp.Name())
		return false, err
	}
	os.Remove(tmp.Name())
	return true, nil
}

// WriteUnsynced replaces the file at path with data through a temporary
// file and a rename, as Write does, but without syncing it or comparing
// the old content: after a crash the file may be empty or partial, so it
// suits only files whose readers check them and treat a bad one as
// absent (the cache's checksummed entries), where a sync per file would
// cost more than the rare rewrite.
func WriteUnsynced(path string, data []byte, perm fs.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".hackless-*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			tmp, err = os.CreateTemp(dir, "."+base+".hackless-*")
		}
	}
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
