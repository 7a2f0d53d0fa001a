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

func run(ctx context.Context, s *build.Step) error {
	return build.Main(ctx, build.Options{Mode: build.Update}, s)
}
