// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package launch

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hackless/hackless/internal/testws"
)

// TestKey: the compiled magefile is reused only while everything it is
// built from is unchanged; a file it is not built from changes nothing.
func TestKey(t *testing.T) {
	base := testws.Files{
		"go.mod":                 "module example.com/root\n\ngo 1.25.0\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./third_party/lib\n",
		"go.sum":                 "",
		"go.work":                "go 1.25.0\n\nuse (\n\t.\n\t./staging/api\n)\n",
		"staging/api/go.mod":     "module example.com/api\n\ngo 1.25.0\n",
		"staging/api/steps/s.go": "package steps\n\nimport \"example.com/api/inner\"\n\nvar X = inner.Y\n",
		"staging/api/inner/i.go": "package inner\n\nconst Y = 1\n",
		"third_party/lib/go.mod": "module example.com/lib\n\ngo 1.25.0\n",
		"third_party/lib/lib.go": "package lib\n\nconst Z = 1\n",
		"magefiles/magefile.go":  "//go:build mage\n\npackage main\n\nimport (\n\t_ \"example.com/api/steps\"\n\t_ \"example.com/lib\"\n)\n",
		"README.md":              "hello\n",
		"cmd/main.go":            "package main\n\nfunc main() {}\n",
	}
	tests := []struct {
		file, content string
		changes       bool
	}{
		{"magefiles/magefile.go", base["magefiles/magefile.go"] + "// edit\n", true},
		{"magefiles/more.go", "//go:build mage\n\npackage main\n", true},
		{"go.mod", base["go.mod"] + "// edit\n", true},
		{"go.sum", "example.com/x v1.0.0 h1:abc=\n", true},
		{"go.work", base["go.work"] + "// edit\n", true},
		{"go.work.sum", "x\n", true},
		{"staging/api/steps/s.go", base["staging/api/steps/s.go"] + "// edit\n", true},
		{"staging/api/inner/i.go", "package inner\n\nconst Y = 2\n", true}, // imported indirectly
		{"third_party/lib/lib.go", "package lib\n\nconst Z = 2\n", true},   // a local replace
		{"README.md", "changed\n", false},
		{"cmd/main.go", "package main\n\nfunc main() { println() }\n", false},
		{"staging/api/steps/s_test.go", "package steps\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			dir := t.TempDir()
			testws.Write(t, dir, base)
			before, err := Key(dir)
			if err != nil {
				t.Fatal(err)
			}
			testws.Write(t, dir, testws.Files{tt.file: tt.content})
			after, err := Key(dir)
			if err != nil {
				t.Fatal(err)
			}
			if (before != after) != tt.changes {
				t.Errorf("changing %s: key changed = %v, want %v", tt.file, before != after, tt.changes)
			}
		})
	}
}

// TestKeyIsTheSameInEveryClone: the key names files relative to the
// repository, so two copies at different paths share one binary.
func TestKeyIsTheSameInEveryClone(t *testing.T) {
	files := testws.Files{
		"go.mod":                "module example.com/root\n\ngo 1.25.0\n",
		"magefiles/magefile.go": "//go:build mage\n\npackage main\n",
	}
	one, two := t.TempDir(), filepath.Join(t.TempDir(), "deeper", "clone")
	testws.Write(t, one, files)
	testws.Write(t, two, files)
	a, err := Key(one)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Key(two)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("two copies of one repository: keys %s and %s", a, b)
	}
}

// TestTrim: after a compile, the newest binaries and those used within a
// day stay, older ones beyond the newest go, and only names of the
// launcher's own making are touched.
func TestTrim(t *testing.T) {
	now := time.Now()
	key := func(i int) string { return fmt.Sprintf("%032x", i) + exeSuffix }
	type file struct {
		name string
		age  time.Duration
		dir  bool
		kept bool
	}
	files := []file{
		{name: "compile.lock", age: 100 * 24 * time.Hour, kept: true},
		{name: "notes.txt", age: 100 * 24 * time.Hour, kept: true}, // not the launcher's
		{name: "mytool", age: 100 * 24 * time.Hour, kept: true},
		{name: ".compile-123", age: time.Minute, dir: true},     // an interrupted compile
		{name: "0123456789abcdef", age: time.Minute, dir: true}, // the per-repository layout of old
		{name: "somedir", age: 100 * 24 * time.Hour, dir: true, kept: true},
	}
	for i := range 12 { // key(0) is current; key(1..3) were used today
		age := time.Duration(i) * time.Hour
		if i > 3 {
			age = time.Duration(i) * 24 * time.Hour
		}
		files = append(files, file{name: key(i), age: age, kept: i < keepBinaries || i <= 3})
	}
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if f.dir {
			os.MkdirAll(filepath.Join(p, "x"), 0o755)
		} else if err := os.WriteFile(p, nil, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, now.Add(-f.age), now.Add(-f.age))
	}
	trim(dir, filepath.Join(dir, key(0)), now)
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, f.name))
		if kept := err == nil; kept != f.kept {
			t.Errorf("%s (%s old): kept = %v, want %v", f.name, f.age, kept, f.kept)
		}
	}
}
