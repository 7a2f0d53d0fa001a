// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"github.com/hackless/hackless/build"
	"strings"
	"testing"
)

func stepsNamed(names ...string) []*build.Step {
	var out []*build.Step
	for _, n := range names {
		out = append(out, &build.Step{Name: n, Run: noop})
	}
	return out
}

func shardNames(shards [][]*build.Step) string {
	var parts []string
	for _, sh := range shards {
		var names []string
		for _, s := range sh {
			names = append(names, s.Name)
		}
		parts = append(parts, strings.Join(names, ","))
	}
	return strings.Join(parts, " | ")
}

func TestShard(t *testing.T) {
	tests := []struct {
		name  string
		steps []*build.Step
		n     int
		d     Durations
		want  string
	}{
		{name: "even without durations", steps: stepsNamed("a", "b", "c", "d", "e"), n: 2, want: "a,c,e | b,d"},
		{name: "longest first onto least loaded", steps: stepsNamed("a", "b", "c", "d"), n: 2,
			d: Durations{"a": 1, "b": 10, "c": 4, "d": 5}, want: "b | d,c,a"},
		{name: "more shards than steps", steps: stepsNamed("a", "b"), n: 5, want: "a | b"},
		{name: "zero shards", steps: stepsNamed("a", "b"), n: 0, want: "a,b"},
		{name: "no steps", steps: nil, n: 3, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Shard(tt.steps, tt.n, tt.d)
			if s := shardNames(got); s != tt.want {
				t.Errorf("Shard = %q, want %q", s, tt.want)
			}
		})
	}
}

func TestShardCoversEveryStepOnce(t *testing.T) {
	var names []string
	for i := range 300 {
		names = append(names, "s"+string(rune('a'+i%26))+strings.Repeat("x", i/26))
	}
	steps := stepsNamed(names...)
	for _, n := range []int{1, 3, 7, 256, 1000} {
		shards := Shard(steps, n, Durations{"sa": 3, "sbx": 2})
		if len(shards) > MaxShards || len(shards) == 0 {
			t.Errorf("n=%d: %d shards", n, len(shards))
		}
		seen := map[string]int{}
		for _, sh := range shards {
			if len(sh) == 0 {
				t.Errorf("n=%d: an empty shard", n)
			}
			for _, s := range sh {
				seen[s.Name]++
			}
		}
		for _, name := range names {
			if seen[name] != 1 {
				t.Errorf("n=%d: step %s is in %d shards", n, name, seen[name])
			}
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, ok := range []string{"1/1", "2/4", "4/4"} {
		if _, _, err := ParseShard(ok); err != nil {
			t.Errorf("ParseShard(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "0/4", "5/4", "a/b", "2", "2/0", "-1/3"} {
		if _, _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

func TestMatrix(t *testing.T) {
	m := Matrix(Shard(stepsNamed("gofmt", "vet", "tidy"), 2, nil), "", nil)
	if len(m) != 2 || m[0].Shard != "1/2" || m[0].Targets != "verify:gofmt verify:vet" || m[0].What != "gofmt vet" ||
		m[0].Command != `go tool mage verify -what="gofmt vet"` || m[1].Targets != "verify:tidy" {
		t.Errorf("Matrix = %+v", m)
	}
	// A step without targets of its own is run by -what alone.
	m = Matrix(Shard(stepsNamed("gofmt", "owners"), 1, nil), "", func(s string) bool { return s != "owners" })
	if m[0].Targets != "verify:gofmt" || m[0].Command != `go tool mage verify -what="gofmt owners"` {
		t.Errorf("Matrix with a registered step = %+v", m)
	}
}
