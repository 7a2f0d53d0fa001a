// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package targets

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/magefile/mage/mg"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/build/workspace"
)

// CI holds the targets for continuous integration.
type CI mg.Namespace

// Matrix prints a GitHub Actions matrix that splits verify into shards. It
// prints one line of JSON, {"include":[{"shard":"1/4","targets":...,
// "what":...,"command":...}]}, for a plan job to write to $GITHUB_OUTPUT.
// The shards are balanced by the step durations recorded by earlier runs
// (_output/hackless/durations.json), evenly when there are none; together
// they run exactly the verify steps. A job runs its shard with go tool mage
// verify -what="<what>".
func (CI) Matrix(ctx context.Context,
	n *int, // how many shards (default: $HACKLESS_SHARDS, else 4); at most 256, at most one per step
) error {
	shards, err := Shards(ctx, n)
	if err != nil {
		return driver.AsExitError(nil, err)
	}
	if len(shards) == 0 {
		return &driver.ExitError{Code: build.ExitUsage, Err: fmt.Errorf("no verify steps: a GitHub matrix cannot be empty")}
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	prefix := workspace.CommandAt(workspace.RepoDir(wd))
	out, err := json.Marshal(map[string][]driver.MatrixEntry{"include": driver.Matrix(shards, prefix, hasTargets)})
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

// Shards splits the verify steps into n shards (nil: $HACKLESS_SHARDS, else
// 4) by the durations recorded in the workspace enclosing the current
// directory.
func Shards(ctx context.Context, n *int) ([][]*build.Step, error) {
	count := 4
	if v := os.Getenv("HACKLESS_SHARDS"); v != "" {
		c, err := strconv.Atoi(v)
		if err != nil {
			return nil, &build.UsageError{Err: fmt.Errorf("HACKLESS_SHARDS=%q: want a number", v)}
		}
		count = c
	}
	if n != nil {
		count = *n
	}
	if count < 1 {
		return nil, &build.UsageError{Err: fmt.Errorf("%d shards: want at least 1", count)}
	}
	var durations driver.Durations
	if root, err := workspace.FindRoot("."); err == nil {
		durations = driver.LoadDurations(driver.ReportDir(root))
	}
	all, err := Steps(ctx, build.Verify)
	if err != nil {
		return nil, err
	}
	return driver.Shard(all, count, durations), nil
}

// Shard runs one shard of the verify steps, given as k/n ("2/4"). It splits
// the steps as ci:matrix does, from the durations recorded on this machine;
// in a CI matrix, run the entry's command instead, which names the steps.
func (CI) Shard(ctx context.Context, shard string) error {
	k, n, err := driver.ParseShard(shard)
	if err != nil {
		return driver.AsExitError(nil, err)
	}
	shards, err := Shards(ctx, &n)
	if err != nil {
		return driver.AsExitError(nil, err)
	}
	if k > len(shards) {
		fmt.Printf("shard %s is empty: there are only %d verify steps\n", shard, len(shards))
		return nil
	}
	return Run(ctx, build.Options{Mode: build.Verify}, shards[k-1]...)
}
