// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

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

//go:generate go run ../internal/gensteps

import (
	"context"
	"fmt"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/targets"
)

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
