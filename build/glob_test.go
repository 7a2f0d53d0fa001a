// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"os"
	"os/exec"
	"path"
	"runtime"
	"slices"
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
		{"**/testdata/**", "testdata/x", true},
		{"**/testdata/**", "xtestdata/y", false},
		{"**/testdata/**", "a/testdatax/y", false},
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

// splitMatch is the reference matchPath is checked against: the path
// split into its elements first.
func splitMatch(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if splitMatch(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// FuzzMatchPath: matching a path element by element agrees with matching
// its split elements, for every path a file can have (no empty element).
func FuzzMatchPath(f *testing.F) {
	for _, seed := range [][2]string{{"**/testdata/**", "a/testdata/b/c"}, {"hack/**/*.sh", "hack/x/y.sh"}, {"a/*/c", "a/b/c"}, {"**", "x"}, {"**/b/**/d", "a/b/c/b/d"}, {"**/testdata/**", "a/testdata/b"}, {"**/t/**", "t/x"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, p string) {
		if p == "" || slices.Contains(strings.Split(p, "/"), "") {
			return
		}
		pat := strings.Split(pattern, "/")
		if len(pat) > 8 {
			return // exponential in the stars either way
		}
		want := splitMatch(pat, strings.Split(p, "/"))
		if got := matchPath(pat, p); got != want {
			t.Errorf("matchPath(%q, %q) = %v, the split match %v", pattern, p, got, want)
		}
		// The fast path of **/dir/** agrees too, where it applies.
		if mid, ok := strings.CutPrefix(pattern, "**/"); ok && strings.HasSuffix(mid, "/**") && !strings.ContainsAny(strings.TrimSuffix(mid, "/**"), "*?[/{\\") {
			if got := matchGlob(pattern, p); got != want {
				t.Errorf("matchGlob(%q, %q) = %v, the split match %v", pattern, p, got, want)
			}
		}
	})
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
