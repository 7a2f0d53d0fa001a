// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"cmp"
	"fmt"
	"github.com/hackless/hackless/build"
	"slices"
	"strconv"
	"strings"
)

// MaxShards is the most jobs a GitHub Actions matrix may hold.
const MaxShards = 256

// Shard splits steps into n groups for parallel CI jobs. With recorded
// durations it balances them: longest first, each onto the least-loaded
// shard (fewest steps breaking ties); without, it deals them out evenly.
// n is clamped to [1, min(len(steps), MaxShards)], so no shard is empty.
// The result depends only on its arguments: every machine that has the
// same durations computes the same shards.
func Shard(steps []*build.Step, n int, d Durations) [][]*build.Step {
	n = min(max(n, 1), len(steps), MaxShards)
	if n == 0 {
		return nil
	}
	sorted := slices.Clone(steps)
	slices.SortStableFunc(sorted, func(a, b *build.Step) int {
		if c := cmp.Compare(d[b.Name], d[a.Name]); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	shards := make([][]*build.Step, n)
	load := make([]float64, n)
	for _, s := range sorted {
		best := 0
		for i := 1; i < n; i++ {
			if load[i] < load[best] || load[i] == load[best] && len(shards[i]) < len(shards[best]) {
				best = i
			}
		}
		shards[best] = append(shards[best], s)
		load[best] += d[s.Name]
	}
	return shards
}

// ParseShard parses "k/n" (1-based) as written in a matrix entry.
func ParseShard(s string) (k, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, &build.UsageError{Err: fmt.Errorf("shard %q: want k/n with 1 <= k <= n, as 2/4", s)}
	}
	return k, n, nil
}

// MatrixEntry is one job of a GitHub Actions matrix.
type MatrixEntry struct {
	Shard   string `json:"shard"`   // "k/n"
	Targets string `json:"targets"` // the Mage targets of the shard, "verify:gofmt verify:vet"
	What    string `json:"what"`    // the same steps for -what=, "gofmt vet"
	Command string `json:"command"` // one command that runs them all in parallel
}

// Matrix returns the matrix entries for shards, with prefix the command
// that runs Mage ("go tool mage").
func Matrix(shards [][]*build.Step, prefix string, hasTargets func(step string) bool) []MatrixEntry {
	if prefix == "" {
		prefix = "go tool mage"
	}
	var out []MatrixEntry
	for i, sh := range shards {
		var targets, names []string
		for _, s := range sh {
			if hasTargets == nil || hasTargets(s.Name) {
				targets = append(targets, "verify:"+s.Name)
			}
			names = append(names, s.Name)
		}
		what := strings.Join(names, " ")
		out = append(out, MatrixEntry{
			Shard:   fmt.Sprintf("%d/%d", i+1, len(shards)),
			Targets: strings.Join(targets, " "),
			What:    what,
			Command: fmt.Sprintf("%s verify -what=%q", prefix, what),
		})
	}
	return out
}
