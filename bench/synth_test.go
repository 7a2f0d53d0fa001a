// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hackless/hackless/internal/testws"
)

// Synthetic is the shape of a generated Kubernetes-scale workspace.
type Synthetic struct {
	Modules  int // staging modules besides the root module
	Packages int // packages per module
	Files    int // Go files per package
}

// KubeScale has 32 modules and 10,240 Go files.
var KubeScale = Synthetic{Modules: 31, Packages: 16, Files: 20}

func (s Synthetic) modPath(i int) string { return fmt.Sprintf("example.com/m%02d", i) }
func (s Synthetic) modDir(i int) string  { return "staging/src/" + s.modPath(i) }

// requires returns the staging modules module i imports directly: a
// layered graph, like api < apimachinery < client-go < ..., where each
// module builds on a few lower ones.
func (s Synthetic) requires(i int) []int {
	var out []int
	for _, j := range []int{i - 1, i / 2, i / 3} {
		if j >= 0 && j < i && !contains(out, j) {
			out = append(out, j)
		}
	}
	return out
}

func contains(s []int, x int) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// goFile is one generated source file: package k of module mod, file f.
func (s Synthetic) goFile(modPath string, reqs []string, k, f int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// Package p%02d is generated for benchmarks.\npackage p%02d\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n", k, k)
	if f == 0 && (k > 0 || len(reqs) > 0) {
		// Only the first file reaches other packages; its imports are a
		// group of their own, in order.
		b.WriteString("\n")
		var imps []string
		if k > 0 {
			imps = append(imps, fmt.Sprintf("\tlower %q\n", fmt.Sprintf("%s/p%02d", modPath, k-1)))
		}
		for n, r := range reqs {
			imps = append(imps, fmt.Sprintf("\tdep%d %q\n", n, r+"/p00"))
		}
		slices.SortFunc(imps, func(a, b string) int { return strings.Compare(a[strings.Index(a, "\""):], b[strings.Index(b, "\""):]) })
		b.WriteString(strings.Join(imps, ""))
	}
	b.WriteString(")\n\n")
	fmt.Fprintf(&b, "// T%d is a type of file %d.\ntype T%d struct {\n\tName  string\n\tCount int\n}\n\n", f, f, f)
	fmt.Fprintf(&b, "// Describe describes the value.\nfunc (t T%d) Describe() string {\n\treturn fmt.Sprintf(\"%%s=%%d\", strings.ToUpper(t.Name), t.Count)\n}\n\n", f)
	fmt.Fprintf(&b, "// Sum%d adds the counts of values.\nfunc Sum%d(ts ...T%d) int {\n\tn := 0\n\tfor _, t := range ts {\n\t\tn += t.Count\n\t}\n\treturn n\n}\n", f, f, f)
	if f == 0 {
		b.WriteString("\n// Chain reaches the packages this one builds on.\nfunc Chain() string {\n\tparts := []string{\"" + modPath + "\"}\n")
		if k > 0 {
			b.WriteString("\tparts = append(parts, lower.Chain())\n")
		}
		for n := range reqs {
			fmt.Fprintf(&b, "\tparts = append(parts, dep%d.Chain())\n", n)
		}
		b.WriteString("\treturn strings.Join(parts, \",\")\n}\n")
	} else {
		b.WriteString("\nvar _ = Chain\n")
	}
	return b.String()
}

func (s Synthetic) testFile(k int) string {
	return fmt.Sprintf("package p%02d\n\nimport \"testing\"\n\nfunc TestSum(t *testing.T) {\n\tif Sum0(T0{Count: 2}, T0{Count: 3}) != 5 {\n\t\tt.Fatal(\"sum\")\n\t}\n}\n", k)
}

// Write generates the workspace in dir: modules, go.work, hackless's own
// module in magefiles/ (from this checkout), tidy go.mod files, a git
// commit.
func (s Synthetic) Write(tb testing.TB, dir string) {
	files := testws.Files{".gitignore": "_output/\n"}
	checkout, _ := filepath.Abs(testws.Checkout())
	work := "go " + testws.GoVersion + "\n\nuse (\n\t.\n"
	rootMod := "module example.com/kube\n\ngo " + testws.GoVersion + "\n"
	rootImports := ""
	for i := range s.Modules {
		mp := s.modPath(i)
		work += "\t./" + s.modDir(i) + "\n"
		rootMod += "\nreplace " + mp + " => ./" + s.modDir(i) + "\n"
		rootImports += fmt.Sprintf("\t_ %q\n", mp+"/p00")
		mod := "module " + mp + "\n\ngo " + testws.GoVersion + "\n"
		var reqs []string
		for _, j := range s.requires(i) {
			reqs = append(reqs, s.modPath(j))
		}
		// Replaces for everything below, so tidy can resolve the closure.
		for j := range i {
			mod += fmt.Sprintf("\nreplace %s => ../%s\n", s.modPath(j), filepath.Base(s.modDir(j)))
		}
		files[s.modDir(i)+"/go.mod"] = mod
		for k := range s.Packages {
			pkgReqs := reqs
			if k > 0 {
				pkgReqs = nil // cross-module imports from the first package only
			}
			for f := range s.Files {
				files[fmt.Sprintf("%s/p%02d/f%02d.go", s.modDir(i), k, f)] = s.goFile(mp, pkgReqs, k, f)
			}
			files[fmt.Sprintf("%s/p%02d/sum_test.go", s.modDir(i), k)] = s.testFile(k)
		}
	}
	files["go.work"] = work + ")\n"
	files["go.mod"] = rootMod
	files["cmd/kube/main.go"] = "package main\n\nimport (\n" + rootImports + ")\n\nfunc main() {}\n"
	// hackless beside the product, as hackless init adopts it: a module
	// of its own in magefiles/, with a go.work that uses it alone.
	files["magefiles/go.mod"] = "module example.com/kube/magefiles\n\ngo " + testws.GoVersion + "\n\nrequire github.com/hackless/hackless v0.0.0\n\ntool (\n\tgithub.com/hackless/hackless/cmd/hackless\n\tgithub.com/magefile/mage\n)\n\nreplace github.com/hackless/hackless => " + checkout + "\n"
	files["magefiles/go.work"] = "go " + testws.GoVersion + "\n\nuse .\n"
	files["magefiles/magefile.go"] = "//go:build mage\n\npackage main\n\nimport (\n\t//mage:import\n\t_ \"github.com/hackless/hackless/targets\"\n\t//mage:import verify\n\t_ \"github.com/hackless/hackless/verify\"\n\t//mage:import update\n\t_ \"github.com/hackless/hackless/update\"\n)\n"
	testws.Write(tb, dir, files)

	// Let the go command write the go.mod files: requires, indirect
	// requires and go.sum, module by module, lowest first.
	var mods []string
	for i := range s.Modules {
		mods = append(mods, s.modDir(i))
	}
	testws.Tidy(tb, dir, append(mods, ".", "magefiles")...)
	testws.Git(tb, dir)
}

// CountGoFiles counts the generated Go files.
func CountGoFiles(dir string) int {
	n := 0
	filepath.Walk(dir, func(p string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() && strings.HasSuffix(p, ".go") && !strings.Contains(p, "/_output/") {
			n++
		}
		return nil
	})
	return n
}

var misspellOnce sync.Once
var misspellBin string

// misspell builds the misspell command of the same module hackless uses,
// for the serial baseline.
func misspell(tb testing.TB) string {
	misspellOnce.Do(func() {
		bin := filepath.Join(os.TempDir(), "hackless-bench-misspell")
		cmd := exec.Command("go", "build", "-o", bin, "github.com/golangci/misspell/cmd/misspell")
		cmd.Dir = testws.Checkout()
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("build misspell: %v\n%s", err, out)
		}
		misspellBin = bin
	})
	return misspellBin
}
