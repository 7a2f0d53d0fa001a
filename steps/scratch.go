package steps

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/hackless/hackless/build"
)

// scratchTime is the modification time of every file of a scratch copy,
// so that files a tool writes afterwards can be told apart.
var scratchTime = time.Unix(1, 0)

// scratchCopy copies the working tree, uncommitted changes included, into
// a new directory under the private TMPDIR, leaving out .git and _output.
// Files are copied, never linked, so a tool that writes in the copy cannot
// reach the tree.
func scratchCopy(pass *build.Pass) (string, error) {
	dst, err := os.MkdirTemp(pass.Env.TempDir(), "scratch-")
	if err != nil {
		return "", err
	}
	root := pass.Workspace.Root
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == ".git" || rel == "_output" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := os.WriteFile(target, data, info.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(target, scratchTime, scratchTime)
	})
	if err != nil {
		os.RemoveAll(dst)
		return "", err
	}
	return dst, nil
}

var generatedMarker = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

// proposeScratch proposes every file that differs between the scratch
// copy and the tree, and, when removeStale is set, the removal of files
// marked as generated that no tool wrote in the copy (they would have a
// newer modification time) and that are in keep.
func proposeScratch(pass *build.Pass, scratch, why string, removeStale func(rel string) bool) error {
	return filepath.WalkDir(scratch, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(scratch, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		old, err := pass.ReadFile(rel)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return pass.Propose(rel, data, why+": missing")
		case err != nil:
			return err
		case !bytes.Equal(old, data):
			return pass.Propose(rel, data, why+": stale")
		}
		if removeStale == nil || !removeStale(rel) || !generatedMarker.Match(data) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.ModTime().Equal(scratchTime) {
			return pass.Remove(rel, why+": marked generated, but no generator writes it")
		}
		return nil
	})
}
