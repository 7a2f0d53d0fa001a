// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// freshModCache returns an empty module cache directory, removed (it is
// read-only) when the test ends.
func freshModCache(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "modcache")
	t.Cleanup(func() {
		cmd := exec.Command("go", "clean", "-modcache")
		cmd.Env = append(os.Environ(), "GOMODCACHE="+dir)
		cmd.Run()
	})
	return dir
}

var tableRow = regexp.MustCompile(`(?m)^(\w+)\s+(ok|cached|FAIL|skipped)\s`)

func TestDownloadThenOffline(t *testing.T) {
	t.Parallel()
	dir := ownAdopter(t)
	// Mage builds itself and the magefile with -trimpath, so that
	// compiling them from another module cache finds the build cache's
	// results instead of compiling every dependency again (30 CPU-seconds):
	// the go command still reads every file it builds from, so a module
	// that deps:download left out still fails the offline run. hackless's
	// own go commands ignore the caller's GOFLAGS.
	trim := "GOFLAGS=-trimpath"
	online, code := mage(t, dir, []string{trim}, "verify")
	wantCode(t, online, code, 0)

	// Without a download, an empty cache and no network cannot work: the
	// check below can fail.
	empty := freshModCache(t)
	if out, code := mage(t, dir, []string{trim, "GOMODCACHE=" + empty, "GOPROXY=off"}, "verify"); code == 0 {
		t.Fatalf("verify passed offline with an empty module cache:\n%s", out)
	}

	cache := freshModCache(t)
	out, code := mage(t, dir, []string{trim, "GOMODCACHE=" + cache}, "deps:download")
	wantCode(t, out, code, 0)
	offline, code := mage(t, dir, []string{trim, "GOMODCACHE=" + cache, "GOPROXY=off"}, "verify")
	wantCode(t, offline, code, 0)
	if a, b := tableRow.FindAllString(online, -1), tableRow.FindAllString(offline, -1); len(a) == 0 || len(a) != len(b) {
		t.Errorf("online and offline results differ:\n%s\n%s", online, offline)
	} else {
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("online %q, offline %q", a[i], b[i])
			}
		}
	}
}

func TestReviewTarget(t *testing.T) {
	t.Parallel()
	dir := adopter(t)
	out, code := run(t, dir, nil, "deps:review", "-base=HEAD")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "## Dependency review against HEAD", "| before |")
	out, code = run(t, dir, nil, "deps:review", "-base=HEAD", "-json")
	wantCode(t, out, code, 0)
	wantOutput(t, out, `"Base": "HEAD"`)
}
