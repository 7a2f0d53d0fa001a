// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"**/*.go", "a.go", true},
		{"**/*.go", "x/y/a.go", true},
		{"**/*.go", "x/y/a.mod", false},
		{"**/go.mod", "go.mod", true},
		{"**/go.mod", "staging/src/m/go.mod", true},
		{"**/go.mod", "x/notgo.mod", false},
		{"go.work", "go.work", true},
		{"go.work", "x/go.work", false},
		{"vendor/**", "vendor/a/b.go", true},
		{"vendor/**", "vendorx/a", false},
		{"hack/boilerplate/*", "hack/boilerplate/boilerplate.go.txt", true},
		{"hack/boilerplate/*", "hack/boilerplate/x/y", false},
		{"**/testdata/**", "a/testdata/b/c", true},
		{"**/testdata/**", "a/b/c", false},
		{".golangci.*", ".golangci.yml", true},
		{"**/*", "anything/at/all", true},
		{"LICENSES/**", "LICENSES/vendor/x/LICENSE", true},
	}
	for _, tt := range tests {
		if got := matchGlob(tt.pattern, tt.path); got != tt.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestMatchBraces(t *testing.T) {
	for p, want := range map[string]bool{"a/b.c": true, "x.syso": true, "a/b.go": false, "a/Makefile": false, "a/b.cc": true, "a.c.go": false} {
		if got := matchGlob("**/*.{c,cc,syso}", p); got != want {
			t.Errorf("matchGlob(%q) = %v", p, got)
		}
	}
}

// TestSelfID: the running executable is known by its Go build ID, read
// from the ELF note, not by hashing all of it.
func TestSelfID(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ELF")
	}
	exe, _ := os.Executable()
	want, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skip("go tool buildid:", err)
	}
	if id, err := selfID(t.TempDir()); err != nil || id != "buildid:"+strings.TrimSpace(string(want)) { // a test binary: not a magefile
		t.Errorf("selfID = %q, %v; want the build ID %s", id, err, want)
	}
}
