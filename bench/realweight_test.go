// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hackless/hackless/internal/remotetest"
	"github.com/hackless/hackless/internal/testws"
)

// realWeight lists, per staging module, the heavy libraries (indexes into
// heavy) it imports: the synthetic workspace's code is trivial, a real
// repository's vet spends its time compiling dependencies like these.
var realWeight = [][]int{{0, 1}, {2}, {3}, {4}}

// writeRealWeight generates a workspace of staging modules importing
// heavy real libraries (and a chain of small packages each), adopting
// hackless from this checkout beside the product (magefiles/go.mod),
// tidy and committed.
func writeRealWeight(tb testing.TB, dir string) {
	checkout, _ := filepath.Abs(testws.Checkout())
	files := testws.Files{".gitignore": "_output/\n"}
	work := "go " + testws.GoVersion + "\n\nuse (\n\t.\n"
	rootMod := "module example.com/real\n\ngo " + testws.GoVersion + "\n"
	rootImports := ""
	var mods []string
	for i, libs := range realWeight {
		mp := fmt.Sprintf("example.com/w%d", i)
		md := "staging/src/" + mp
		mods = append(mods, md)
		work += "\t./" + md + "\n"
		rootMod += "\nreplace " + mp + " => ./" + md + "\n"
		rootImports += fmt.Sprintf("\t_ %q\n", mp)
		mod := "module " + mp + "\n\ngo " + testws.GoVersion + "\n\nrequire (\n"
		src := fmt.Sprintf("// Package w%d uses heavy libraries.\npackage w%d\n\nimport (\n", i, i)
		for _, h := range libs {
			mod += "\t" + heavy[h].module + " " + heavy[h].version + "\n"
			src += fmt.Sprintf("\t_ %q\n", heavy[h].pkg)
		}
		files[md+"/go.mod"] = mod + ")\n"
		files[md+"/w.go"] = src + ")\n"
		// A chain of small packages of the module's own, the last of
		// which the module's package imports: the edit of the edit
		// benchmark lands in the first.
		for k := range 3 {
			imp := ""
			if k > 0 {
				imp = fmt.Sprintf("import _ %q\n\n", fmt.Sprintf("%s/p%d", mp, k-1))
			}
			files[fmt.Sprintf("%s/p%d/p.go", md, k)] = fmt.Sprintf("// Package p%d is small.\npackage p%d\n\n%s// N is a number.\nconst N = %d\n", k, k, imp, k)
		}
		files[md+"/chain.go"] = fmt.Sprintf("package w%d\n\nimport _ %q\n", i, mp+"/p2")
	}
	files["go.work"] = work + ")\n"
	files["go.mod"] = rootMod
	files["cmd/real/main.go"] = "package main\n\nimport (\n" + rootImports + ")\n\nfunc main() {}\n"
	files["magefiles/go.mod"] = "module example.com/real/magefiles\n\ngo " + testws.GoVersion + "\n\nrequire github.com/hackless/hackless v0.0.0\n\ntool (\n\tgithub.com/hackless/hackless/cmd/hackless\n\tgithub.com/magefile/mage\n)\n\nreplace github.com/hackless/hackless => " + checkout + "\n"
	files["magefiles/go.work"] = "go " + testws.GoVersion + "\n\nuse .\n"
	files["magefiles/magefile.go"] = "//go:build mage\n\npackage main\n\nimport (\n\t//mage:import\n\t_ \"github.com/hackless/hackless/targets\"\n\t//mage:import verify\n\t_ \"github.com/hackless/hackless/verify\"\n\t//mage:import update\n\t_ \"github.com/hackless/hackless/update\"\n)\n"
	testws.Write(tb, dir, files)
	testws.Tidy(tb, dir, append(mods, ".", "magefiles")...)
	testws.Git(tb, dir)
}

// BenchmarkRealWeight times verify:vet, with the step cache off, on
// staging modules that import cobra, prometheus, the OpenTelemetry SDK,
// client-go and gin: with a cold and a warm Go build cache, and with the
// build cache served through a bazel-remote server (GOCACHEPROG), first
// empty, then warm for a fresh clone with empty local caches. Run it
// alone, once:
//
//	go test -run '^$' -bench RealWeight -benchtime 1x -timeout 60m ./bench
func BenchmarkRealWeight(b *testing.B) {
	dir := b.TempDir()
	writeRealWeight(b, dir)
	launcherBin := func(dir string) string {
		_, out := timeCmd(b, dir, []string{"GOFLAGS=-mod=mod"}, "go", "-C", "magefiles", "tool", "-n", "hackless")
		return strings.TrimSpace(out)
	}
	hackless := launcherBin(dir) // built once, with the usual build cache
	// vet runs `hackless verify:vet` in dir with a Go build cache and a
	// hackless cache directory of its own (the magefile compiled into it
	// before the clock starts).
	vet := func(dir, gocache, cacheDir string, extra ...string) time.Duration {
		timeCmd(b, dir, []string{"HACKLESS_CACHE_DIR=" + cacheDir}, hackless, "-l")
		env := append([]string{"NO_COLOR=1", "HACKLESS_NOCACHE=1", "GOCACHE=" + gocache, "HACKLESS_CACHE_DIR=" + cacheDir}, extra...)
		d, out := timeCmd(b, dir, env, hackless, "verify:vet")
		if strings.Contains(out, "warning:") {
			b.Fatalf("vet warned:\n%s", out)
		}
		return d
	}
	gocache, cacheDir := b.TempDir(), b.TempDir()
	cold := vet(dir, gocache, cacheDir)
	warm := vet(dir, gocache, cacheDir)

	srv := remotetest.Start(b, "")
	remote := []string{"HACKLESS_REMOTE_CACHE=" + srv.URL, "HACKLESS_REMOTE_BUILDCACHE=1"}
	fill := vet(dir, b.TempDir(), b.TempDir(), remote...)
	clone := filepath.Join(b.TempDir(), "clone")
	testws.Run(b, dir, "git", "clone", "-q", dir, clone)
	served := vet(clone, b.TempDir(), b.TempDir(), remote...)

	sec := func(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
	table := fmt.Sprintf(`
verify:vet on %d staging modules importing %d heavy libraries, step cache off
| Go build cache | time |
|---|---|
| cold (empty GOCACHE) | %s |
| warm (the same GOCACHE again) | %s |
| served by bazel-remote, empty server (compiles and uploads) | %s |
| served by bazel-remote, warm server, fresh clone, empty local caches | %s |
`, len(realWeight), 5, sec(cold), sec(warm), sec(fill), sec(served))
	b.Log(table)
	fmt.Println(table)
	b.ReportMetric(cold.Seconds(), "cold-s")
	b.ReportMetric(warm.Seconds(), "warm-s")
	b.ReportMetric(served.Seconds(), "remote-warm-s")
}

// BenchmarkRealWeightEdit times the whole verify on the real-weight
// workspace with a warm Go build cache (the machine's own; the priming
// run fills it): cold step cache, nothing changed, and one file edited in
// a small package that the module's package imports through two others.
// typecheck checks linux/amd64 only, so that priming does not compile the
// heavy libraries for four platforms. Run it alone, once:
//
//	go test -run '^$' -bench RealWeightEdit -benchtime 1x -timeout 60m ./bench
func BenchmarkRealWeightEdit(b *testing.B) {
	dir := b.TempDir()
	writeRealWeight(b, dir)
	testws.Write(b, dir, testws.Files{"hackless.yaml": "typecheck:\n  platforms: [linux/amd64]\n"})
	cacheDir := b.TempDir()
	env := []string{"NO_COLOR=1", "HACKLESS_CACHE_DIR=" + cacheDir}
	run := func(env []string, target string) (time.Duration, string) {
		return timeCmd(b, dir, env, "go", "-C", "magefiles", "tool", "hackless", target)
	}
	// The generated modules do not hold every default policy (one
	// version of each dependency, gofmt's import order): update makes
	// them, as an adopter's first update would.
	run(env, "update")
	testws.Run(b, dir, "git", "add", "-A")
	testws.Run(b, dir, "git", "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "updated")
	hackless := func(env []string) (time.Duration, string) { return run(env, "verify") }
	hackless(append(env, "HACKLESS_NOCACHE=1")) // the Go build cache, the magefile
	leaf := filepath.Join(dir, "staging/src/example.com/w0/p0/p.go")
	var cold, noop, touched []time.Duration
	for i := range 3 {
		os.RemoveAll(cacheDir)
		d, _ := hackless(env)
		cold = append(cold, d)
		d, out := hackless(env)
		noop = append(noop, d)
		if !strings.Contains(out, "cached") {
			b.Fatalf("the second run cached nothing:\n%s", out)
		}
		editFile(b, leaf, fmt.Sprintf("edit %d", i))
		d, _ = hackless(env)
		touched = append(touched, d)
	}
	mc, mn, mt := median(cold), median(noop), median(touched)
	table := fmt.Sprintf(`
go -C magefiles tool hackless verify on %d staging modules importing heavy libraries, warm Go build cache; medians of 3
| scenario | time | ratio |
|---|---|---|
| cold step cache | %.2fs | 1.00 |
| nothing changed | %.2fs | |
| one file edited | %.2fs | %.0f%% of cold |
`, len(realWeight), mc.Seconds(), mn.Seconds(), mt.Seconds(), 100*mt.Seconds()/mc.Seconds())
	b.Log(table)
	fmt.Println(table)
	b.ReportMetric(mc.Seconds(), "cold-s")
	b.ReportMetric(mn.Seconds(), "noop-s")
	b.ReportMetric(mt.Seconds(), "touched-s")
}
