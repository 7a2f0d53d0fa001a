// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package testws writes Go workspaces for tests: a Kubernetes-style layout
// with a root module and staging modules that require each other through
// replace directives.
package testws

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// GoVersion is the go line of the generated modules and go.work.
const GoVersion = "1.25.0"

// MIT is the MIT license, for the dependency modules of generated
// workspaces that must ship one.
const MIT = `MIT License

Copyright (c) 2020 The Example Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`

// Files maps slash-separated paths to contents.
type Files map[string]string

// Staging returns the files of a workspace with a root module
// (example.com/root) and two staging modules, example.com/api and
// example.com/client, in staging/src/, which require each other. Every
// file is formatted, vetted and tidy. Its hackless.yaml has typecheck
// check linux/amd64 only: each platform is a go vet run over the whole
// workspace, the largest part of a run's cost, and the tests that are
// about platforms (TestTypecheck) or about a first run on the defaults
// (e2e's TestFirstContact) name theirs or have none.
func Staging() Files {
	return Files{
		"go.work": "go " + GoVersion + "\n\nuse (\n\t.\n\t./staging/src/example.com/api\n\t./staging/src/example.com/client\n)\n",
		"go.mod": "module example.com/root\n\ngo " + GoVersion + "\n\nrequire (\n\texample.com/api v0.0.0\n\texample.com/client v0.0.0\n)\n\n" +
			"replace (\n\texample.com/api => ./staging/src/example.com/api\n\texample.com/client => ./staging/src/example.com/client\n)\n",
		"cmd/root/main.go":                               "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/api/helpers\"\n\t\"example.com/client\"\n)\n\nfunc main() {\n\tfmt.Println(helpers.Describe(), client.Describe())\n}\n",
		"staging/src/example.com/api/go.mod":             "module example.com/api\n\ngo " + GoVersion + "\n\nrequire example.com/client v0.0.0\n\nreplace example.com/client => ../client\n",
		"staging/src/example.com/api/types.go":           "// Package api defines the types.\npackage api\n\n// Name is the API's name.\nconst Name = \"api\"\n",
		"staging/src/example.com/api/helpers/helpers.go": "// Package helpers uses the client.\npackage helpers\n\nimport \"example.com/client\"\n\n// Describe describes the client.\nfunc Describe() string { return client.Describe() }\n",
		"staging/src/example.com/client/go.mod":          "module example.com/client\n\ngo " + GoVersion + "\n\nrequire example.com/api v0.0.0\n\nreplace example.com/api => ../api\n",
		"staging/src/example.com/client/client.go":       "// Package client talks to the API.\npackage client\n\nimport \"example.com/api\"\n\n// Describe names the API.\nfunc Describe() string { return \"client of \" + api.Name }\n",
		"staging/src/example.com/client/client_test.go":  "package client\n\nimport \"testing\"\n\nfunc TestDescribe(t *testing.T) {\n\tif Describe() == \"\" {\n\t\tt.Fatal(\"empty\")\n\t}\n}\n",
		".gitignore":    "_output/\n",
		"hackless.yaml": "typecheck:\n  platforms: [linux/amd64]\n",
	}
}

// Write writes files under dir.
func Write(t testing.TB, dir string, files Files) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// New writes files into a new temporary directory and returns it.
func New(t testing.TB, files Files) string {
	t.Helper()
	dir := t.TempDir()
	Write(t, dir, files)
	return dir
}

// Git makes dir a git repository with every file committed.
func Git(t testing.TB, dir string) {
	t.Helper()
	Run(t, dir, "git", "init", "-q")
	Run(t, dir, "git", "add", "-A")
	Run(t, dir, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
}

// Run runs a command in dir and fails the test if it fails.
func Run(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Checkout returns the root of this hackless checkout.
//
// A test that builds from the checkout (through a replace, a go.work or
// go build) depends on files its test binary does not contain; without
// more, go test would serve a cached pass for code edited since. So
// Checkout also opens every directory of the checkout but .git, in the
// test process: go test records those reads and keys the test's cached
// result on each directory's entries, with their sizes and modification
// times.
func Checkout() string {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		return nil
	})
	return root
}

// Tidy runs go mod tidy, with GOWORK=off, in each of the module
// directories (root-relative) of dir: it fills go.sum from the module
// proxy.
func Tidy(t testing.TB, dir string, modules ...string) {
	t.Helper()
	for _, m := range modules {
		cmd := exec.Command("go", "mod", "tidy")
		cmd.Dir = filepath.Join(dir, filepath.FromSlash(m))
		// GOSUMDB=off: the checksum database reachable from the test
		// machines lacks some old versions the tests use.
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOSUMDB=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go mod tidy in %s: %v\n%s", m, err, out)
		}
	}
}

// WithQuote adds real dependencies to the staging workspace: the api module
// uses rsc.io/quote v1.5.1 and the client module v1.5.2 (rsc.io/quote
// requires rsc.io/sampler and golang.org/x/text). Run Tidy afterwards.
func WithQuote(files Files) Files {
	const api, client = "staging/src/example.com/api/", "staging/src/example.com/client/"
	files[api+"go.mod"] = strings.Replace(files[api+"go.mod"], "require example.com/client v0.0.0\n", "require (\n\texample.com/client v0.0.0\n\trsc.io/quote v1.5.1\n)\n", 1)
	files[api+"quote.go"] = "package api\n\nimport \"rsc.io/quote\"\n\n// Quote quotes.\nfunc Quote() string { return quote.Go() }\n"
	files[client+"go.mod"] = strings.Replace(files[client+"go.mod"], "require example.com/api v0.0.0\n", "require (\n\texample.com/api v0.0.0\n\trsc.io/quote v1.5.2\n)\n", 1)
	files[client+"quote.go"] = "package client\n\nimport \"rsc.io/quote\"\n\n// Quote quotes.\nfunc Quote() string { return quote.Hello() }\n"
	return files
}

// Replace replaces the first old with new in a file under dir, failing the
// test if the file does not contain old.
func Replace(t testing.TB, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(file))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// OneProcEach gives the processes a test package starts one P each
// (GOMAXPROCS=1, which hackless passes on to every tool), unless the
// caller set GOMAXPROCS: the suite runs packages, and tests within them,
// side by side, so the go commands they start always have company, and a
// Go process that may use more CPUs than it gets spends CPU looking for
// them (about a tenth of the suite's CPU on the 2-core machine). The test
// process keeps its own. Call it from TestMain.
func OneProcEach() {
	if os.Getenv("GOMAXPROCS") == "" {
		os.Setenv("GOMAXPROCS", "1")
	}
}
