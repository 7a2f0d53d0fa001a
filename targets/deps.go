// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package targets

import (
	"context"
	"fmt"
	"os"

	"github.com/magefile/mage/mg"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/steps"
)

// Deps holds the dependency targets that are neither checks nor fixes.
type Deps mg.Namespace

// Download fetches every module the workspace needs into the module cache.
// It covers the workspace's build list and every module of the tree, tools
// modules kept out of go.work included, verified against go.sum (the modern
// godep restore). Afterwards every other target runs with GOPROXY=off.
func (Deps) Download(ctx context.Context) error {
	return Main(ctx, driver.Options{Options: build.Options{Name: "download"}}, steps.Download)
}

// Review reports the dependency changes since a base ref, for a reviewer.
// It prints Markdown (or JSON with -json): modules added, removed, upgraded
// and downgraded, direct or indirect; new pseudo-versions where a tagged
// release exists; replaces to forks; license changes; newly compiled-in
// packages with init functions; dependency counts and the longest chain
// before and after; and the commits since the base that change dependency
// files, flagging bare one-line messages. The base defaults to the merge
// base with the main branch. It never modifies the tree.
func (Deps) Review(ctx context.Context,
	base *string, // the git ref to compare with (default: the merge base with origin/main, origin/master, main or master)
	json *bool, // print JSON instead of Markdown
) error {
	var cfg steps.ReviewConfig
	if base != nil {
		cfg.Base = *base
	}
	if err := Main(ctx, driver.Options{Options: build.Options{Name: "review"}, Out: os.Stderr}, steps.Review(cfg)); err != nil {
		return err
	}
	root, err := workspace.FindRoot(".")
	if err != nil {
		return err
	}
	ext := "md"
	if json != nil && *json {
		ext = "json"
	}
	data, err := os.ReadFile(steps.ReviewFile(root, ext))
	if err != nil {
		return err
	}
	fmt.Print(string(data))
	return nil
}
