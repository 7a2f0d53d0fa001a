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
	return ws.allFiles.get(func() ([]string, error) {
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
	})
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
