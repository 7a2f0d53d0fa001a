// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package workspace

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/mod/modfile"
)

func TestReplaceDir(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "fork")
	for _, tt := range []struct {
		path, version, want string
		ok                  bool
	}{
		{"./third_party/lib", "", filepath.Join("/repo", "third_party", "lib"), true},
		{"../sibling", "", filepath.Join("/sibling"), true},
		{abs, "", abs, true}, // absolute: not joined onto the base
		{"example.com/fork", "v1.0.0", "", false},
	} {
		r := &modfile.Replace{}
		r.New.Path, r.New.Version = tt.path, tt.version
		got, ok := ReplaceDir("/repo", r)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ReplaceDir(%q %q) = %q, %v; want %q, %v", tt.path, tt.version, got, ok, tt.want, tt.ok)
		}
	}
}

// TestWorkCopy: the copy uses every directory of go.work, made absolute,
// once, whatever the shape of its use directives.
func TestWorkCopy(t *testing.T) {
	root := t.TempDir()
	for _, tt := range []struct {
		name, work string
		want       []string
	}{
		{"root only", "go 1.25\n\nuse .\n", []string{"."}},
		{"block", "go 1.25\n\nuse (\n\t./api\n\t./sdk\n)\n", []string{"api", "sdk"}},
		{"no root module", "go 1.25\n\nuse ./api\nuse ./sdk\n", []string{"api", "sdk"}},
		{"used twice", "go 1.25\n\nuse (\n\t.\n\t./api\n\t./api\n)\n", []string{".", "api"}},
		{"absolute", "go 1.25\n\nuse " + filepath.Join(root, "x") + "\n", []string{"x"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := WorkCopy(root, []byte(tt.work), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			wf, err := modfile.ParseWork(p, data, nil)
			if err != nil {
				t.Fatalf("the copy does not parse: %v\n%s", err, data)
			}
			var got []string
			for _, u := range wf.Use {
				got = append(got, u.Path)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, filepath.Join(root, w))
			}
			if !slices.Equal(got, want) {
				t.Errorf("uses %q, want %q\n%s", got, want, data)
			}
		})
	}
}

// FuzzWorkCopy: no go.work makes WorkCopy panic; a copy it writes parses
// and uses only absolute directories.
func FuzzWorkCopy(f *testing.F) {
	for _, seed := range []string{
		"go 1.25\n\nuse .\n",
		"go 1.25\n\nuse (\n\t./api\n\t./sdk\n)\n",
		"go 1.25\n\nuse (\n\t.\n\t./a\n\t./a\n)\n\nreplace example.com/x => ../x\n",
		"go 1.25\ntoolchain go1.26.0\n\nuse ./a // comment\n",
		"use (\n)\n",
	} {
		f.Add(seed)
	}
	root, dir := f.TempDir(), f.TempDir()
	f.Fuzz(func(t *testing.T, work string) {
		p, err := WorkCopy(root, []byte(work), dir)
		if err != nil {
			return
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		wf, err := modfile.ParseWork(p, data, nil)
		if err != nil {
			t.Fatalf("the copy of %q does not parse: %v\n%s", work, err, data)
		}
		for _, u := range wf.Use {
			if !filepath.IsAbs(u.Path) {
				t.Errorf("the copy of %q uses %q", work, u.Path)
			}
		}
	})
}
