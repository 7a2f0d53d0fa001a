// Package update holds hackless's update steps as Mage targets. An update
// target applies what the verify target of the same name reports: files are
// written atomically, and only when their content changes. Import it into a
// magefile with an alias:
//
//	//mage:import update
//	_ "github.com/hackless/hackless/update"
//
// to get update:gofmt, update:tidy, and so on. The top-level `update`
// target, which runs them all in graph order, is in package targets.
package update

import (
	"context"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/steps"
	"github.com/hackless/hackless/targets"
)

// Workspace rewrites go.work and the go and toolchain lines. Afterwards go.work
// uses exactly the repository's modules (comments are kept). When a
// use directive names a directory that is gone, every go command refuses to
// start, go tool mage included: then run GOWORK=off go tool mage
// update:workspace.
func Workspace(ctx context.Context) error { return run(ctx, steps.Workspace) }

// Gofmt formats Go files with gofmt -s.
func Gofmt(ctx context.Context) error { return run(ctx, steps.Gofmt) }

// Tidy runs go mod tidy on every module. Each module is tidied after the
// workspace modules it requires; update:workspace runs first.
func Tidy(ctx context.Context) error { return run(ctx, steps.Tidy) }

// Deps fixes what verify:deps finds that is mechanical. It aligns versions
// to the highest, adds local replaces, drops unused version replaces and
// rewrites the status section of hack/unwanted-dependencies.json; it says
// what it cannot fix. Run update:tidy after it (update does).
func Deps(ctx context.Context) error { return run(ctx, steps.Deps) }

// Vendor replaces vendor/ with what go work vendor writes. It does nothing
// in a workspace that does not vendor.
func Vendor(ctx context.Context) error { return run(ctx, steps.Vendor) }

// Licenses rewrites the LICENSES/ database of the shipped dependencies. To
// start one in a repository without it: mkdir LICENSES && go tool mage
// update:licenses.
func Licenses(ctx context.Context) error { return run(ctx, steps.Licenses) }

// Boilerplate inserts the license header into files that have none. It
// never adds a second header or rewrites one it does not recognize.
func Boilerplate(ctx context.Context) error { return run(ctx, steps.Boilerplate) }

// Codegen regenerates generated files. It runs the generators in a scratch
// copy, then writes the changes into the tree, each file atomically.
func Codegen(ctx context.Context) error { return run(ctx, steps.Codegen) }

// Spelling corrects common misspellings in Go comments and strings, and in
// Markdown.
func Spelling(ctx context.Context) error { return run(ctx, steps.Spelling) }

// Lint applies golangci-lint's fixes. It runs them in a scratch copy and
// writes the changed files.
func Lint(ctx context.Context) error { return run(ctx, steps.Lint) }

func run(ctx context.Context, s *build.Step) error {
	return targets.Run(ctx, build.Options{Mode: build.Update}, s)
}

// Pin pins a dependency at a tag, branch or commit across the workspace.
// MODULE[=REPLACEMENT] REF: the ref is resolved to a version, required in
// every workspace module whose build list has the module (the root module
// when none does), with `replace MODULE => REPLACEMENT VERSION` for a fork,
// and those modules are tidied in dependency order. A ref that does not
// exist changes nothing. Example: go tool mage update:pin golang.org/x/text
// v0.21.0.
func Pin(ctx context.Context, module, ref string) error {
	spec, err := steps.ParsePin(module, ref)
	if err != nil {
		return build.AsExitError(nil, err)
	}
	return targets.Run(ctx, build.Options{Mode: build.Update}, steps.Pin(spec))
}
