// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

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
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/steps"
	"github.com/hackless/hackless/targets"
)

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
		return driver.AsExitError(nil, err)
	}
	return targets.Run(ctx, build.Options{Mode: build.Update}, steps.Pin(spec))
}
