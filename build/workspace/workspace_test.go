// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package workspace

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hackless/hackless/internal/testws"
)

func load(t *testing.T, dir string) *Workspace {
	t.Helper()
	ws, err := Load(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func TestLoadFromSubdirectory(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	ws := load(t, filepath.Join(dir, "staging", "src", "example.com", "client"))
	if ws.Root != dir {
		t.Errorf("Root = %s, want %s", ws.Root, dir)
	}
	var got []string
	for _, m := range ws.Modules {
		got = append(got, m.Path+"@"+m.Rel)
	}
	want := "example.com/root@. example.com/api@staging/src/example.com/api example.com/client@staging/src/example.com/client"
	if strings.Join(got, " ") != want {
		t.Errorf("modules = %v, want %s", got, want)
	}
	if m := ws.ModuleByPath("example.com/api"); m == nil || m.GoModRel() != "staging/src/example.com/api/go.mod" {
		t.Errorf("ModuleByPath(api) = %+v", m)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files testws.Files
		want  []string
	}{
		{
			name:  "no workspace, no module",
			files: testws.Files{"README": "x"},
			want:  []string{"no go.work in", "go work init && go work use -r ."},
		},
		{
			name:  "unknown setting in hackless.yaml",
			files: testws.Files{"go.work": "go 1.25.0\n\nuse .\n", "go.mod": "module example.com/m\n", "hackless.yaml": "spelling:\n  exclude: [a]\n  excludes: [b]\n"},
			want:  []string{`hackless.yaml:3: unknown setting "excludes" in spelling`},
		},
		{
			name:  "malformed go.work",
			files: testws.Files{"go.work": "go 1.26.0\n\nuse .\nfrobnicate x\n", "go.mod": "module example.com/m\n"},
			want:  []string{"go.work:4: unknown directive: frobnicate"},
		},
		{
			name: "malformed go.mod",
			files: testws.Files{
				"go.work":    "go 1.26.0\n\nuse (\n\t.\n\t./sub\n)\n",
				"go.mod":     "module example.com/m\n",
				"sub/go.mod": "module example.com/sub\n\nrequire example.com/x\n",
			},
			want: []string{"sub/go.mod:3:", "usage: require module/path v1.2.3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testws.New(t, tt.files)
			_, err := Load(context.Background(), dir, nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadRecordsMissingUse(t *testing.T) {
	files := testws.Staging()
	files["go.work"] = strings.Replace(files["go.work"], ")", "\t./staging/src/example.com/gone\n)", 1)
	ws := load(t, testws.New(t, files))
	if len(ws.Modules) != 3 || strings.Join(ws.MissingUses, " ") != "./staging/src/example.com/gone" {
		t.Errorf("modules %d, missing %v", len(ws.Modules), ws.MissingUses)
	}
}

func TestFiles(t *testing.T) {
	files := testws.Staging()
	files["vendor/example.com/x/x.go"] = "package x\n"
	files["staging/src/example.com/api/testdata/bad.go"] = "package bad\n"
	files["_output/bin/x.go"] = "package x\n"
	files[".hidden/h.go"] = "package h\n"
	files["hack/tools/go.mod"] = "module example.com/tools\n"
	files["hack/tools/tools.go"] = "package tools\n"
	files["docs/notes.go"] = "package notes\n"
	files["ignored/i.go"] = "package i\n"
	files[".gitignore"] = "_output/\nignored/\n"
	for _, useGit := range []bool{false, true} {
		dir := testws.New(t, files)
		if useGit {
			testws.Git(t, dir)
			testws.Write(t, dir, testws.Files{"staging/src/example.com/api/new.go": "package api\n"})
			os.Remove(filepath.Join(dir, "docs", "notes.go")) // tracked, deleted
		}
		ws := load(t, dir)
		all, err := ws.Files(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range all {
			if strings.HasPrefix(f, "vendor/") || strings.Contains(f, "testdata/") || strings.HasPrefix(f, "_output/") || strings.HasPrefix(f, ".hidden/") {
				t.Errorf("git=%v: Files lists %s", useGit, f)
			}
		}
		dirs, _ := ws.ModuleDirs(context.Background())
		if got := strings.Join(dirs, " "); got != ". hack/tools staging/src/example.com/api staging/src/example.com/client" {
			t.Errorf("git=%v: ModuleDirs = %s", useGit, got)
		}
		gofiles, _ := ws.GoFiles(context.Background())
		got := strings.Join(gofiles, " ")
		if strings.Contains(got, "hack/tools/") {
			t.Errorf("git=%v: GoFiles includes the module go.work does not use: %s", useGit, got)
		}
		if !strings.Contains(got, "staging/src/example.com/client/client.go") || !strings.Contains(got, "cmd/root/main.go") {
			t.Errorf("git=%v: GoFiles = %s", useGit, got)
		}
		if useGit {
			if !strings.Contains(got, "api/new.go") {
				t.Errorf("untracked file missing: %s", got)
			}
			if strings.Contains(got, "ignored/i.go") || strings.Contains(got, "docs/notes.go") {
				t.Errorf("ignored or deleted file listed: %s", got)
			}
		}
	}
}

func TestPackagesListedOnce(t *testing.T) {
	dir := testws.New(t, testws.Staging())
	ws := load(t, dir)
	p1, err := ws.Packages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range p1 {
		paths = append(paths, p.ImportPath)
	}
	if got := strings.Join(paths, " "); got != "example.com/api example.com/api/helpers example.com/client example.com/root/cmd/root" {
		t.Errorf("packages = %s", got)
	}
	// A second call must not run go list again: point the go command at a
	// go.work that does not exist and check the shared result comes back.
	ws.Env = ws.Env.With("GOWORK=" + filepath.Join(t.TempDir(), "go.work"))
	p2, err := ws.Packages(context.Background())
	if err != nil || len(p2) != len(p1) || &p2[0] != &p1[0] {
		t.Errorf("second call listed again: err %v", err)
	}
}

func TestNotFoundErrorIs(t *testing.T) {
	_, err := FindRoot(t.TempDir())
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("err = %T, want *NotFoundError", err)
	}
}

func TestLoadWithoutGoWork(t *testing.T) {
	dir := testws.New(t, testws.Files{
		"go.mod":              "module example.com/root\n\ngo 1.24\n",
		"api/go.mod":          "module example.com/api\n\ngo 1.25.0\n",
		"hack/tools/go.mod":   "module example.com/tools\n\ngo 1.26.0\n",
		"internal/x/go.mod":   "module example.com/x\n\ngo 1.22\n",
		"vendor/v/go.mod":     "module example.com/v\n",
		"api/testdata/go.mod": "module example.com/td\n",
	})
	testws.Git(t, dir)
	ws, err := Load(context.Background(), filepath.Join(dir, "api"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Synthetic || ws.Root != dir || strings.HasPrefix(ws.WorkFile, dir+string(filepath.Separator)) && !strings.Contains(ws.WorkFile, ".git") {
		t.Fatalf("Synthetic=%v Root=%s WorkFile=%s", ws.Synthetic, ws.Root, ws.WorkFile)
	}
	var got []string
	for _, m := range ws.Modules {
		got = append(got, m.Rel)
	}
	if want := []string{".", "api", "internal/x"}; !slices.Equal(got, want) {
		t.Errorf("modules %v, want %v (tools, vendor and testdata left out)", got, want)
	}
	if ws.Work.Go == nil || ws.Work.Go.Version != "1.25.0" {
		t.Errorf("go line %v, want the highest module's 1.25.0", ws.Work.Go)
	}
	if !ws.IsTools("hack/tools") || ws.IsTools("api") {
		t.Errorf("IsTools(hack/tools)=%v IsTools(api)=%v", ws.IsTools("hack/tools"), ws.IsTools("api"))
	}
	out, err := ws.Env.Command(context.Background(), dir, "go", "list", "-m").Output()
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.Fields(string(out)); !slices.Equal(s, []string{"example.com/root", "example.com/api", "example.com/x"}) {
		t.Errorf("go list -m under the hermetic environment: %q", s)
	}
	if st := testws.Run(t, dir, "git", "status", "--porcelain"); st != "" {
		t.Errorf("loading left the tree changed:\n%s", st)
	}
}
