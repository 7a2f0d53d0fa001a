// Package verify holds hackless's verify steps as Mage targets. A verify
// target reports what is wrong, and what its update target would change, and
// writes nothing. Import it into a magefile with an alias:
//
//	//mage:import verify
//	_ "github.com/hackless/hackless/verify"
//
// to get verify:gofmt, verify:vet, and so on. The top-level `verify` target,
// which runs them all in parallel, is in package targets.
package verify

import (
	"context"
	"fmt"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/steps"
	"github.com/hackless/hackless/targets"
)

// Workspace checks that go.work uses exactly the repository's modules. The go
// and toolchain lines must be consistent too. None may be missing or stale; go.work's
// go line is at least every module's, and every toolchain line names the
// workspace's toolchain. Fix: update:workspace.
func Workspace(ctx context.Context) error { return run(ctx, steps.Workspace) }

// Gofmt checks that Go files are formatted with gofmt -s. It covers every Go
// file of the workspace's modules, leaving out vendor, testdata, _output and
// hidden directories. Fix: update:gofmt.
func Gofmt(ctx context.Context) error { return run(ctx, steps.Gofmt) }

// Vet runs go vet over every workspace module. One invocation covers them
// all; its findings and type errors are reported with file and line.
func Vet(ctx context.Context) error { return run(ctx, steps.Vet) }

// Tidy checks that every module's go.mod and go.sum are tidy. That is, go
// mod tidy would change nothing. When both run, tidy runs after workspace. Fix:
// update:tidy.
func Tidy(ctx context.Context) error { return run(ctx, steps.Tidy) }

// Deps checks the dependencies of every workspace module. One version of
// each external module across all modules; a local replace for every
// required workspace module; no unused or outdated version replaces; no
// forks unless marked // hackless:allow-fork; and, when
// hack/unwanted-dependencies.json exists, its pinned modules and its
// status ratchet. Fix: update:deps (what is mechanical).
func Deps(ctx context.Context) error { return run(ctx, steps.Deps) }

// Vendor checks that vendor/ holds exactly what go work vendor writes. A
// workspace without vendor/ passes. Fix: update:vendor.
func Vendor(ctx context.Context) error { return run(ctx, steps.Vendor) }

// Licenses checks the licenses of the dependencies the workspace ships.
// Each module of the package closure of the workspace's non-test packages
// needs an allowed license (CNCF's allowlist plus Apache-2.0, or
// hack/license-policy.json); failures name the module, the license found
// and the import chain. With a LICENSES/ directory, it must hold
// Kubernetes's database of those licenses. Fix: update:licenses (the
// database).
func Licenses(ctx context.Context) error { return run(ctx, steps.Licenses) }

// Boilerplate checks that every source file starts with the license header.
// The templates are Kubernetes's hack/boilerplate/boilerplate.<ext>.txt
// with YEAR, and boilerplate.generatego.txt for files marked DO NOT EDIT.
// Build constraints and shebangs are skipped, and headers without a year
// are accepted. Fix: update:boilerplate (missing headers).
func Boilerplate(ctx context.Context) error { return run(ctx, steps.Boilerplate) }

// Imports checks import restrictions in import-boss's .import-restrictions
// format. rules limit what a package imports, inverseRules which workspace
// packages may import it, with files read from the package's directory up
// to its module root. Each violation names the importer, the import, the
// file and the rule.
func Imports(ctx context.Context) error { return run(ctx, steps.Imports) }

// Codegen checks that generated files are up to date. The //go:generate
// directives and the commands of hack/codegen.json run in a scratch copy of
// the working tree; stale, missing and extra generated files are reported
// as diffs. Fix: update:codegen.
func Codegen(ctx context.Context) error { return run(ctx, steps.Codegen) }

// Spelling checks Go comments and strings, and Markdown, for common
// misspellings. Words in hack/spelling-exceptions.txt are accepted. Fix:
// update:spelling.
func Spelling(ctx context.Context) error { return run(ctx, steps.Spelling) }

// Lint runs golangci-lint over every workspace module in one invocation.
// It runs where the repository has a golangci configuration, with
// golangci-lint pinned in a tools module outside go.work. Fix: update:lint
// (its fixers).
func Lint(ctx context.Context) error { return run(ctx, steps.Lint) }

func run(ctx context.Context, s *build.Step) error {
	return targets.Run(ctx, build.Options{Mode: build.Verify}, s)
}

// Shard runs one shard of the verify steps, given as k/n ("2/4"). It splits
// the steps as ci:matrix does, from the durations recorded on this machine;
// in a CI matrix, run the entry's command instead, which names the steps.
func Shard(ctx context.Context, shard string) error {
	k, n, err := build.ParseShard(shard)
	if err != nil {
		return build.AsExitError(nil, err)
	}
	shards, err := targets.Shards(&n)
	if err != nil {
		return build.AsExitError(nil, err)
	}
	if k > len(shards) {
		fmt.Printf("shard %s is empty: there are only %d verify steps\n", shard, len(shards))
		return nil
	}
	return targets.Run(ctx, build.Options{Mode: build.Verify}, shards[k-1]...)
}
