// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package launch

import (
	"testing"

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
