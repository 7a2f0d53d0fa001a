// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package launch starts a repository's magefile the way `go tool hackless`
// does: it compiles the magefile once per change of what it is built
// from, under a lock and without writing to the tree (go.work.sum
// included), and runs the compiled binary as a child whose exit code it
// passes on, turning signals into an ordinary non-zero exit instead of a
// death that `go tool` would report as success (golang/go#79540).
package launch

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/magefile/mage/mage"
	"golang.org/x/mod/modfile"

	"github.com/hackless/hackless/build/workspace"
)

// keyFiles are the files, beside the magefiles and the sources they
// import from the tree, whose content decides the compiled binary.
var keyFiles = []string{"go.mod", "go.sum"}

// Key returns what the compiled magefile of the repository at root is
// built from, as a hex digest: the Go version that runs the launcher (the
// one that compiles), the magefiles, the go.mod and go.sum of the module
// that holds them (ModuleDir), the go.work and go.work.sum the go command
// finds from there, and every Go file of the packages in the tree (or in
// a local replace) that the magefiles import, directly or not. Modules
// from the module cache are named by go.sum and do not change under a
// version. Files are named by where they are in the repository, or, for
// a package the magefiles import, by its import path: two clones of a
// commit, wherever they are, have one key (the compile is -trimpath: one
// binary too).
func Key(root string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "go %s %s/%s -trimpath\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	addFile := func(name, p string) error {
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(h, "%s absent\n", name)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
		return nil
	}
	modDir := ModuleDir(root)
	relName := func(p, f string) string {
		up, _ := filepath.Rel(root, p) // ".", "magefiles", or "..": the workspace above
		return path.Join(filepath.ToSlash(up), f)
	}
	for _, f := range keyFiles {
		if err := addFile(relName(modDir, f), filepath.Join(modDir, f)); err != nil {
			return "", err
		}
	}
	wsRoot, err := workspace.FindRoot(modDir)
	if err == nil {
		for _, f := range []string{"go.work", "go.work.sum"} {
			if err := addFile(relName(wsRoot, f), filepath.Join(wsRoot, f)); err != nil {
				return "", err
			}
		}
	}
	local, err := localModules(modDir, wsRoot)
	if err != nil {
		return "", err
	}
	type pkg struct{ name, dir string }
	seen := map[string]bool{}
	mageDir := magefilesDir(root)
	name := "./" + mage.MagefilesDirName
	if mageDir == root {
		name = "." // mage-tagged files at the root
	}
	queue := []pkg{{name, mageDir}}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p.dir] {
			continue
		}
		seen[p.dir] = true
		files, err := goFiles(p.dir)
		if err != nil {
			return "", err
		}
		for _, f := range files {
			if err := addFile(p.name+"/"+filepath.Base(f), f); err != nil {
				return "", err
			}
			for _, imp := range imports(f) {
				if pd := local.dir(imp); pd != "" && !seen[pd] {
					queue = append(queue, pkg{imp, pd})
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// ModuleDir returns the directory of the module that holds the magefiles
// of the repository at root: hackless's own module, magefiles/ with a
// go.mod of its own, as adoption lays it out; else root (magefiles that
// are part of the root module, as earlier versions adopted).
func ModuleDir(root string) string {
	d := filepath.Join(root, mage.MagefilesDirName)
	if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
		return d
	}
	return root
}

// magefilesDir returns the directory of the magefiles: magefiles/ if it
// exists, else root (mage-tagged files there).
func magefilesDir(root string) string {
	d := filepath.Join(root, mage.MagefilesDirName)
	if fi, err := os.Stat(d); err == nil && fi.IsDir() {
		return d
	}
	return root
}

// goFiles returns the non-test .go files of a package directory, sorted.
func goFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || n == "mage_output_file.go" {
			continue
		}
		out = append(out, filepath.Join(dir, n))
	}
	return out, nil
}

// imports returns the import paths of a Go file; one that does not parse
// imports nothing (the compile then fails, and says so).
func imports(file string) []string {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
	if err != nil {
		return nil
	}
	var out []string
	for _, is := range f.Imports {
		if p, err := strconv.Unquote(is.Path.Value); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// modules maps the module paths of the tree (workspace modules, the root
// module, local replaces) to their directories.
type modules map[string]string

// dir returns the directory of a package of a local module, or "".
func (m modules) dir(importPath string) string {
	for p := importPath; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		if d, ok := m[p]; ok {
			return filepath.Join(d, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(importPath, p), "/")))
		}
	}
	return ""
}

// localModules finds the modules whose sources are in the tree or in a
// local replace: the root module, go.work's uses and local replaces, and
// the local replaces of each of those modules' go.mod.
func localModules(root, wsRoot string) (modules, error) {
	m := modules{}
	var modDirs []string
	addReplaces := func(base string, reps []*modfile.Replace) {
		for _, r := range reps {
			if d, ok := workspace.ReplaceDir(base, r); ok {
				m[r.Old.Path] = d
			}
		}
	}
	if wsRoot != "" {
		if data, err := os.ReadFile(filepath.Join(wsRoot, "go.work")); err == nil {
			wf, err := modfile.ParseWork("go.work", data, nil)
			if err != nil {
				return nil, err
			}
			for _, u := range wf.Use {
				modDirs = append(modDirs, filepath.Join(wsRoot, filepath.FromSlash(u.Path)))
			}
			addReplaces(wsRoot, wf.Replace)
		}
	}
	modDirs = append(modDirs, root)
	slices.Sort(modDirs)
	for _, d := range slices.Compact(modDirs) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err != nil {
			continue
		}
		mf, err := modfile.Parse("go.mod", data, nil)
		if err != nil || mf.Module == nil {
			continue
		}
		m[mf.Module.Mod.Path] = d
		addReplaces(d, mf.Replace)
	}
	return m, nil
}
