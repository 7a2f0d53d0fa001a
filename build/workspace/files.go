// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package workspace

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Files returns the slash-separated, root-relative paths of the files in
// the tree, sorted: in a git work tree the tracked files plus the untracked
// ones git does not ignore (so a module not yet added is seen), elsewhere
// every file. Files under vendor, testdata, _output and hidden directories
// are left out. The list is computed once per Workspace.
func (ws *Workspace) Files(ctx context.Context) ([]string, error) {
	return ws.files.get(func() ([]string, error) {
		all, err := ws.AllFiles(ctx)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(slices.Clone(all), skippedPath), nil
	})
}

// AllFiles is Files without leaving out vendor, testdata and hidden or
// underscore directories, but still without _output and .git: every file
// a step may read.
func (ws *Workspace) AllFiles(ctx context.Context) ([]string, error) {
	return ws.allFiles.get(func() ([]string, error) { return ws.ListFiles(ctx) })
}

// ListFiles lists what AllFiles lists, anew on every call: the cache uses
// it to see whether files came or went while a run went on.
func (ws *Workspace) ListFiles(ctx context.Context) ([]string, error) {
	files, err := ws.gitFiles(ctx)
	if err != nil {
		files, err = ws.walkFiles()
	}
	if err != nil {
		return nil, err
	}
	files = slices.DeleteFunc(files, func(f string) bool {
		return f == "_output" || strings.HasPrefix(f, "_output/") || strings.HasPrefix(f, ".git/")
	})
	slices.Sort(files)
	return slices.Compact(files), nil
}

// IgnoredFiles returns the files that git ignores and AllFiles therefore
// leaves out, among those matching the base-name globs (every one without
// globs), outside _output/,
// sorted; outside git, none (AllFiles walked them all). The go command
// compiles an ignored Go file like any other, so the cache must see it.
func (ws *Workspace) IgnoredFiles(ctx context.Context, globs []string) ([]string, error) {
	args := []string{"ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--"}
	for _, g := range globs {
		args = append(args, ":(glob)**/"+g)
	}
	if len(globs) == 0 {
		args = append(args, ".") // every ignored file
	}
	args = append(args, ":(exclude)_output")
	cmd := ws.Env.Command(ctx, ws.Root, "git", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if _, gitErr := ws.gitFiles(ctx); gitErr != nil {
			return nil, nil // not a git work tree: AllFiles walked everything
		}
		return nil, fmt.Errorf("git ls-files --ignored: %w: %s", err, stderr.Bytes())
	}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f != "" && !strings.HasPrefix(f, ".git/") {
			files = append(files, f)
		}
	}
	slices.Sort(files)
	return files, nil
}

func (ws *Workspace) gitFiles(ctx context.Context) ([]string, error) {
	// One listing, each entry tagged: H tracked, ? untracked, R deleted
	// (a deleted file is listed twice, as H and R).
	cmd := ws.Env.Command(ctx, ws.Root, "git", "ls-files", "-z", "-t", "--cached", "--others", "--deleted", "--exclude-standard")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w: %s", err, stderr.Bytes())
	}
	entries := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	gone := make(map[string]bool)
	for _, e := range entries {
		if tag, f, ok := strings.Cut(e, " "); ok && tag == "R" {
			gone[f] = true
		}
	}
	files := make([]string, 0, len(entries))
	for _, e := range entries {
		if tag, f, ok := strings.Cut(e, " "); ok && tag != "R" && f != "" && !gone[f] {
			files = append(files, f)
		}
	}
	return files, nil
}

func (ws *Workspace) walkFiles() ([]string, error) {
	var files []string
	err := filepath.WalkDir(ws.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != ws.Root && (d.Name() == ".git" || d.Name() == "_output") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, ws.Rel(p))
		}
		return nil
	})
	return files, err
}

// ModuleDirs returns the root-relative directories of every go.mod in the
// tree, whether or not go.work uses it, sorted. It is computed once.
func (ws *Workspace) ModuleDirs(ctx context.Context) ([]string, error) {
	return ws.moduleDirs.get(func() ([]string, error) {
		files, err := ws.Files(ctx)
		if err != nil {
			return nil, err
		}
		var dirs []string
		for _, f := range files {
			if path.Base(f) == "go.mod" {
				dirs = append(dirs, path.Dir(f))
			}
		}
		return dirs, nil
	})
}

// GoFiles returns the root-relative paths of the .go files that belong to
// the workspace's modules: files of a nested module not used by go.work,
// and files outside every module, are left out. The list is computed once.
func (ws *Workspace) GoFiles(ctx context.Context) ([]string, error) {
	return ws.goFiles.get(func() ([]string, error) {
		files, err := ws.Files(ctx)
		if err != nil {
			return nil, err
		}
		owners, err := ws.Owners(ctx)
		if err != nil {
			return nil, err
		}
		used := make(map[string]bool)
		for _, m := range ws.Modules {
			used[m.Rel] = true
		}
		var out []string
		for _, f := range files {
			if strings.HasSuffix(f, ".go") && used[owners.Of(f)] {
				out = append(out, f)
			}
		}
		return out, nil
	})
}

// Owners finds the module that holds a file.
type Owners struct{ dirs map[string]bool }

// NewOwners indexes module directories (as ModuleDirs returns them).
func NewOwners(dirs []string) *Owners {
	o := &Owners{dirs: make(map[string]bool, len(dirs))}
	for _, d := range dirs {
		o.dirs[d] = true
	}
	return o
}

// Owners returns the index of the tree's module directories, built once.
func (ws *Workspace) Owners(ctx context.Context) (*Owners, error) {
	return ws.owners.get(func() (*Owners, error) {
		dirs, err := ws.ModuleDirs(ctx)
		if err != nil {
			return nil, err
		}
		return NewOwners(dirs), nil
	})
}

// Of returns the root-relative directory of the innermost module that
// holds the file, or "" if none does.
func (o *Owners) Of(file string) string {
	for d := path.Dir(file); ; d = path.Dir(d) {
		if o.dirs[d] {
			return d
		}
		if d == "." || d == "/" {
			return ""
		}
	}
}

// Owner returns the root-relative directory of the innermost module, among
// dirs (as ModuleDirs returns them), that holds the file, or "" if none
// does.
func Owner(dirs []string, file string) string { return NewOwners(dirs).Of(file) }
