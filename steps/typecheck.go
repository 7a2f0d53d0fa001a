// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hackless/hackless/build"
)

// DefaultPlatforms are the platforms typecheck checks unless
// typecheck.platforms in hackless.yaml names others.
var DefaultPlatforms = []string{"linux/amd64", "linux/arm64", "darwin/arm64", "windows/amd64"}

// Typecheck checks that every package of every workspace module, tests
// included, type-checks on each platform of a list, as Kubernetes's
// verify-typecheck does: a file that only builds under //go:build windows
// is checked too. The platforms are typecheck.platforms of hackless.yaml,
// by default linux/amd64, linux/arm64, darwin/arm64 and windows/amd64.
// Each platform is one go vet run (GOOS and GOARCH set, cgo off, one cheap
// analyzer) that loads and type-checks every package, compiling only the
// dependencies' export data, never linking; its type and load errors are
// the findings, each naming the platforms it breaks. When part of the
// workspace does not load, it goes module by module as vet does, on one
// platform only when the module graph itself is at fault; a
// failure only the workspace has says so, and one that only hackless's
// own view of a workspace without go.work has is a note. A package whose
// dependency does not type-check is checked once the dependency is fixed.
// Like vet's, its result is cached package by package, so an edit re-checks
// the edited package and its importers on each platform, leaving out on a
// platform a package whose files that platform does not build.
// There is no update form: a type error needs a person.
var Typecheck = &build.Step{
	Name:   "typecheck",
	Doc:    "every package type-checks on every platform",
	Inputs: build.Inputs{Tools: []build.Tool{build.GoCommand}, Go: true},
	Scope:  build.ScopePackage,
	Run:    runTypecheck,
}

func runTypecheck(pass *build.Pass) error {
	if len(pass.Modules()) == 0 {
		pass.Logf("no modules")
		return nil
	}
	platforms := shipPlatforms(pass)
	type problem struct {
		f         build.Finding
		platforms []string
	}
	var problems []*problem
	var allNotes []string
	byKey := make(map[string]*problem)
	// The platforms at once (the run's -jobs bounds the go commands),
	// their results taken in order.
	type checked struct {
		out   vetOutcome
		notes []string
		err   error
		took  time.Duration
	}
	results := make([]checked, len(platforms))
	// A workspace whose module graph does not load goes module by module
	// on one platform only: the graph is the same on all of them.
	graph := new(graphClaim)
	pass.Parallel(len(platforms), func(i int) {
		goos, goarch, _ := strings.Cut(platforms[i], "/")
		env := []string{"GOOS=" + goos, "GOARCH=" + goarch, "CGO_ENABLED=0"}
		// Naming one analyzer turns the others off: what remains is
		// loading and type-checking.
		start := time.Now()
		out, notes, err := vetModules(pass, env, []string{"-unusedresult"}, "type-checked", graph)
		results[i] = checked{out, notes, err, time.Since(start)}
	})
	for i, platform := range platforms {
		out, notes, err := results[i].out, results[i].notes, results[i].err
		if err != nil {
			return err
		}
		pass.Logf("%s type-checked in %.1fs", platform, results[i].took.Seconds())
		for _, n := range notes {
			if !slices.Contains(allNotes, n) {
				allNotes = append(allNotes, n)
			}
		}
		if out.err != nil && len(out.failures) == 0 {
			return fmt.Errorf("go vet for %s: %w\n%s", platform, out.err, strings.Join(out.unplaced, "\n"))
		}
		for _, f := range out.failures {
			key := f.String()
			p := byKey[key]
			if p == nil {
				p = &problem{f: f}
				byKey[key] = p
				problems = append(problems, p)
			}
			if !slices.Contains(p.platforms, platform) { // a package and its test variant
				p.platforms = append(p.platforms, platform)
			}
		}
	}
	slices.SortStableFunc(problems, func(a, b *problem) int {
		return cmp.Or(strings.Compare(a.f.Pos.File, b.f.Pos.File), cmp.Compare(a.f.Pos.Line, b.f.Pos.Line))
	})
	for _, p := range problems {
		where := strings.Join(p.platforms, ", ")
		if len(p.platforms) == len(platforms) && len(platforms) > 1 {
			where = "every platform"
		}
		p.f.Message = fmt.Sprintf("%s (on %s)", p.f.Message, where)
		pass.Report(p.f)
	}
	for _, n := range allNotes {
		pass.Notef("%s", n)
	}
	pass.Notef("%d platforms: %s", len(platforms), strings.Join(platforms, ", "))
	return nil
}

// shipPlatforms are the platforms the repository builds for:
// typecheck.platforms of hackless.yaml (which hackless init reads from
// its CI and release configuration), else DefaultPlatforms. typecheck
// checks each; licenses and bom count what any of them ships.
func shipPlatforms(pass *build.Pass) []string {
	if p := pass.Config().Typecheck.Platforms; len(p) > 0 {
		return p
	}
	return DefaultPlatforms
}
