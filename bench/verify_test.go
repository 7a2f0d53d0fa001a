// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hackless/hackless/internal/remotetest"
	"github.com/hackless/hackless/internal/testws"
)

// serialScript runs the checks of `go tool mage verify` on this workspace
// the way Kubernetes's hack/make-rules/verify.sh runs hack/verify-*.sh:
// one script after another, each looping over the modules, keeping going
// after failures.
const serialScript = `#!/usr/bin/env bash
set -u
cd "$(dirname "$0")/.."
rc=0
mods=$(git ls-files '*go.mod' ':!magefiles' | xargs -n1 dirname | sort)
check() {
  local name=$1; shift
  if "$@" >/dev/null 2>&1; then echo "SUCCESS $name"; else echo "FAILED  $name"; rc=1; fi
}
verify_workspace() { cp go.work _output/go.work.orig && go work use -r . && go work edit -dropuse=./magefiles && cmp -s go.work _output/go.work.orig; local r=$?; cp _output/go.work.orig go.work; return $r; }
verify_deps() { for m in $mods; do (cd "$m" && GOWORK=off go list -m -json all) || return 1; done; }
verify_gofmt() { test -z "$(git ls-files '*.go' | xargs gofmt -s -l)"; }
verify_vet() { for m in $mods; do (cd "$m" && go vet ./...) || return 1; done; }
verify_tidy() { for m in $mods; do (cd "$m" && GOWORK=off go mod tidy -diff) || return 1; done; }
verify_typecheck() { for p in linux/amd64 linux/arm64 darwin/arm64 windows/amd64; do for m in $mods; do (cd "$m" && GOOS=${p%/*} GOARCH=${p#*/} CGO_ENABLED=0 go vet -unusedresult ./...) || return 1; done; done; }
verify_licenses() { go list -deps -json work; }
verify_spelling() { git ls-files '*.go' '*.md' | xargs "$MISSPELL" -error; }
mkdir -p _output
check workspace verify_workspace
check deps verify_deps
check gofmt verify_gofmt
check vet verify_vet
check tidy verify_tidy
check typecheck verify_typecheck
check licenses verify_licenses
check spelling verify_spelling
exit $rc
`

// benchShape is the workspace BenchmarkVerify generates: KubeScale, or
// HACKLESS_BENCH_SHAPE=modules,packages,files (99,4,5 for the 100-module
// row).
func benchShape() Synthetic {
	var s Synthetic
	if _, err := fmt.Sscanf(os.Getenv("HACKLESS_BENCH_SHAPE"), "%d,%d,%d", &s.Modules, &s.Packages, &s.Files); err == nil && s.Modules > 1 && s.Packages > 0 && s.Files > 0 {
		return s
	}
	return KubeScale
}

func timeCmd(tb testing.TB, dir string, env []string, name string, args ...string) (time.Duration, string) {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return d, string(out)
}

var engineRE = regexp.MustCompile(`verify: .* in (\d+\.\d+)s`)

func engineTime(tb testing.TB, out string) time.Duration {
	m := engineRE.FindStringSubmatch(out)
	if m == nil {
		tb.Fatalf("no verdict in:\n%s", out)
	}
	s, _ := strconv.ParseFloat(m[1], 64)
	return time.Duration(s * float64(time.Second))
}

// editFile appends a comment to a Go file, as a one-file edit.
func editFile(tb testing.TB, path, what string) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "\n// %s\n", what); err != nil {
		tb.Fatal(err)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkVerify compares hackless with the serial scripts on a generated
// Kubernetes-scale workspace. Run it alone, once:
//
//	go test -run '^$' -bench Verify -benchtime 1x -timeout 60m ./bench
//
// HACKLESS_BENCH_REPS sets the repetitions behind each median (default 3);
// HACKLESS_BENCH_DIR keeps the generated workspace in that directory.
// HACKLESS_BENCH_SHAPE=modules,packages,files sizes the workspace
// (99,4,5 for the 100-module row). hackless is adopted beside the
// product, as hackless init does, and run as the README's main job
// (go -C magefiles tool hackless verify); the Mage rows run the same
// magefile through Mage. The Go build cache is warm for every measurement
// (a priming run fills it), so both sides pay for checking, not for
// compiling the world; the hackless step cache is empty for "cold".
func BenchmarkVerify(b *testing.B) {
	reps := 3
	if v, err := strconv.Atoi(os.Getenv("HACKLESS_BENCH_REPS")); err == nil && v > 0 {
		reps = v
	}
	// HACKLESS_BENCH_DIR keeps the workspace there, for profiling by hand.
	dir := os.Getenv("HACKLESS_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	genStart := time.Now()
	shape := benchShape()
	shape.Write(b, dir)
	os.MkdirAll(filepath.Join(dir, "hack"), 0o755)
	os.WriteFile(filepath.Join(dir, "hack", "verify-all.sh"), []byte(serialScript), 0o755)
	b.Logf("generated %d modules, %d Go files in %s", shape.Modules+1, CountGoFiles(dir), time.Since(genStart).Round(time.Second))

	cacheDir := b.TempDir()
	env := []string{"NO_COLOR=1", "HACKLESS_CACHE_DIR=" + cacheDir, "MISSPELL=" + misspell(b)}
	// hackless runs the main job as an adopter does, through its launcher
	// in its own module; mage runs the magefile through Mage.
	hackless := func(env []string, args ...string) (time.Duration, string) {
		return timeCmd(b, dir, env, "go", append([]string{"-C", "magefiles", "tool", "hackless"}, args...)...)
	}
	mage := func(env []string, args ...string) (time.Duration, string) {
		return timeCmd(b, dir, env, "go", append([]string{"-C", "magefiles", "tool", "mage"}, args...)...)
	}
	// Prime the Go build cache and compile the magefile; check both pass.
	timeCmd(b, dir, env, "bash", "hack/verify-all.sh")
	hackless(append(env, "HACKLESS_NOCACHE=1"), "verify")

	var serial, cold, coldEngine, noop, noopEngine, touched, status, mageNoop, mageTouched, affected []time.Duration
	leaf := filepath.Join(dir, shape.modDir(shape.Modules-1), fmt.Sprintf("p%02d", min(7, shape.Packages-1)), fmt.Sprintf("f%02d.go", min(3, shape.Files-1)))
	touch := func(what string, i int) { editFile(b, leaf, fmt.Sprintf("%s %d", what, i)) }
	for i := range reps {
		d, _ := timeCmd(b, dir, env, "bash", "hack/verify-all.sh")
		serial = append(serial, d)

		os.RemoveAll(cacheDir)
		d, out := hackless(env, "verify")
		cold, coldEngine = append(cold, d), append(coldEngine, engineTime(b, out))
		if strings.Contains(out, "warning:") {
			b.Fatalf("the cold run warned:\n%s", out)
		}

		d, out = hackless(env, "verify")
		noop, noopEngine = append(noop, d), append(noopEngine, engineTime(b, out))
		if !strings.Contains(out, "cached") {
			b.Fatalf("the second run cached nothing:\n%s", out)
		}

		touch("edit", i)
		d, _ = hackless(env, "verify")
		touched = append(touched, d)

		d, _ = timeCmd(b, dir, nil, "git", "status", "--porcelain")
		status = append(status, d)

		// The same two through Mage, which checks whether the magefile
		// needs compiling on every run.
		d, _ = mage(env, "verify")
		mageNoop = append(mageNoop, d)
		touch("mage edit", i)
		d, _ = mage(env, "verify")
		mageTouched = append(mageTouched, d)

		// A pull request's CI job without a step cache: only what the
		// edit since HEAD can affect.
		touch("affected edit", i)
		d, out = hackless(append(env, "HACKLESS_NOCACHE=1", "HACKLESS_SINCE=HEAD"), "verify")
		affected = append(affected, d)
		if !strings.Contains(out, "not affected") {
			b.Fatalf("the affected-only run left nothing out:\n%s", out)
		}
	}
	remoteWarm, remoteNoop := remoteRows(b, dir, env, reps)
	ms, mc, mce, mn, mne, mt, mg := median(serial), median(cold), median(coldEngine), median(noop), median(noopEngine), median(touched), median(status)
	sec := func(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
	table := fmt.Sprintf(`
%d modules, %d Go files; medians of %d runs
| scenario | median | ratio | target |
|---|---|---|---|
| (a) serial scripts, one after another | %s | 1.00 | |
| (a) hackless verify, cold step cache | %s (engine %s) | %.2f of serial | ≤ 0.50 |
| (b) hackless verify, nothing changed | %s (engine %s) | engine %.1f× git status | command < 0.3 s |
| (c) hackless verify, one file touched | %s | %.0f%% of cold | ≤ 10%% |
| (d) git status | %s | | |
| (b) nothing changed, go tool mage verify | %s | | command < 1 s |
| (c) one file touched, go tool mage verify | %s | %.0f%% of cold | |
| (e) affected only (-since=HEAD), no step cache, one file touched | %s | %.0f%% of cold | |
| (f) fresh clone, empty local cache, warm remote cache | %s | %.1f× its local no-op (%s) | ≤ 2× |
`, shape.Modules+1, CountGoFiles(dir), reps,
		sec(ms), sec(mc), sec(mce), mc.Seconds()/ms.Seconds(),
		sec(mn), sec(mne), mne.Seconds()/mg.Seconds(),
		sec(mt), 100*mt.Seconds()/mc.Seconds(), sec(mg),
		sec(median(mageNoop)), sec(median(mageTouched)), 100*median(mageTouched).Seconds()/mc.Seconds(),
		sec(median(affected)), 100*median(affected).Seconds()/mc.Seconds(),
		sec(remoteWarm), remoteWarm.Seconds()/remoteNoop.Seconds(), sec(remoteNoop))
	b.Log(table)
	fmt.Println(table)
	b.ReportMetric(ms.Seconds(), "serial-s")
	b.ReportMetric(mc.Seconds(), "cold-s")
	b.ReportMetric(mn.Seconds(), "noop-s")
	b.ReportMetric(mne.Seconds(), "noop-engine-s")
	b.ReportMetric(mt.Seconds(), "touched-s")
	b.ReportMetric(mg.Seconds(), "gitstatus-s")
}

// remoteRows fills a bazel-remote server from the workspace at dir (all
// of it committed first) and times, reps times, a fresh clone at another
// path with an empty step cache against it, then the same clone's local
// no-op; it returns the medians. The clone's magefile is compiled before
// the clock starts, as a CI image or an earlier job would have it.
func remoteRows(b *testing.B, dir string, env []string, reps int) (warm, noop time.Duration) {
	srv := remotetest.Start(b, "")
	testws.Run(b, dir, "git", "add", "-A")
	testws.Run(b, dir, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "edits")
	remote := append(slices.Clone(env), "HACKLESS_REMOTE_CACHE="+srv.URL, "HACKLESS_CACHE_DIR="+b.TempDir())
	launch := []string{"-C", "magefiles", "tool", "hackless"}
	timeCmd(b, dir, remote, "go", append(launch, "verify")...)
	var warms, noops []time.Duration
	for range reps {
		clone := filepath.Join(b.TempDir(), "clone")
		testws.Run(b, dir, "git", "clone", "-q", dir, clone)
		cloneEnv := append(slices.Clone(env), "HACKLESS_REMOTE_CACHE="+srv.URL, "HACKLESS_CACHE_DIR="+b.TempDir())
		timeCmd(b, clone, cloneEnv, "go", append(launch, "-l")...)
		d, out := timeCmd(b, clone, cloneEnv, "go", append(launch, "verify")...)
		if strings.Contains(out, "warning:") || !strings.Contains(out, "cached") {
			b.Fatalf("the fresh clone was not served by the remote cache:\n%s", out)
		}
		warms = append(warms, d)
		d, _ = timeCmd(b, clone, cloneEnv, "go", append(launch, "verify")...)
		noops = append(noops, d)
	}
	return median(warms), median(noops)
}
