// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package workspace

import (
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/mod/modfile"
)

// WorkCopy writes go.work (data, read from wsRoot), with its paths made
// absolute, and go.work.sum into dir, and returns the copy's path: with
// GOWORK naming the copy, the go command works on the same workspace but
// writes go.work.sum in dir, never in the tree.
func WorkCopy(wsRoot string, data []byte, dir string) (string, error) {
	wf, err := modfile.ParseWork(filepath.Join(wsRoot, "go.work"), data, nil)
	if err != nil {
		return "", err
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(wsRoot, filepath.FromSlash(p))
	}
	// DropUse zeroes the Use it drops (and every other of the same
	// path), so the paths are taken first; a directory used twice (which
	// the go command refuses, and verify:workspace reports) is used once.
	type use struct{ path, module string }
	var uses []use
	for _, u := range wf.Use {
		if !slices.ContainsFunc(uses, func(x use) bool { return x.path == u.Path }) {
			uses = append(uses, use{u.Path, u.ModulePath})
		}
	}
	for _, u := range uses {
		if err := wf.DropUse(u.path); err != nil {
			return "", err
		}
		if err := wf.AddUse(abs(u.path), u.module); err != nil {
			return "", err
		}
	}
	for _, r := range slices.Clone(wf.Replace) {
		if r.New.Version == "" && modfile.IsDirectoryPath(r.New.Path) {
			if err := wf.AddReplace(r.Old.Path, r.Old.Version, abs(r.New.Path), ""); err != nil {
				return "", err
			}
		}
	}
	wf.Cleanup()
	p := filepath.Join(dir, "go.work")
	if err := os.WriteFile(p, modfile.Format(wf.Syntax), 0o644); err != nil {
		return "", err
	}
	sum, err := os.ReadFile(filepath.Join(wsRoot, "go.work.sum"))
	if err != nil {
		sum = nil
	}
	if err := os.WriteFile(filepath.Join(dir, "go.work.sum"), sum, 0o644); err != nil {
		return "", err
	}
	return p, nil
}

// ReplaceDir returns the directory a replace directive in the file in
// base (go.work's or a go.mod's directory) points to, made absolute, and
// whether it points to a directory at all (not to a module version).
func ReplaceDir(base string, r *modfile.Replace) (string, bool) {
	if r.New.Version != "" || !modfile.IsDirectoryPath(r.New.Path) {
		return "", false
	}
	d := filepath.FromSlash(r.New.Path)
	if !filepath.IsAbs(d) {
		d = filepath.Join(base, d)
	}
	return d, true
}
