// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package modgraph

import (
	"reflect"
	"strings"
	"testing"
)

const sample = `example.com/root example.com/api
example.com/root a.com/x@v1.2.0
example.com/root b.com/y@v1.0.0
example.com/api a.com/x@v1.1.0
a.com/x@v1.2.0 bad.com/u@v0.1.0
a.com/x@v1.1.0 other.com/z@v1.0.0
b.com/y@v1.0.0 a.com/x@v1.0.0
b.com/y@v1.0.0 c.com/w@v2.0.0
c.com/w@v2.0.0 bad.com/u@v0.2.0
c.com/w@v2.0.0 b.com/y@v1.0.0
`

func TestParse(t *testing.T) {
	g, err := Parse(sample)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Main; !reflect.DeepEqual(got, []Module{{Path: "example.com/root"}, {Path: "example.com/api"}}) {
		t.Errorf("Main = %v", got)
	}
	if _, err := Parse("just-one-field\n"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad line: %v", err)
	}
}

func TestReferencers(t *testing.T) {
	g, _ := Parse(sample)
	if eff := g.Effective(); eff["a.com/x"].Version != "v1.2.0" {
		t.Errorf("effective a.com/x = %v, want v1.2.0 (root's)", eff["a.com/x"])
	}
	refs := g.Referencers(func(p string) bool { return p == "bad.com/u" || p == "a.com/x" || p == "other.com/z" })
	var got []string
	for _, m := range refs["bad.com/u"] {
		got = append(got, m.String())
	}
	if strings.Join(got, " ") != "a.com/x@v1.2.0 c.com/w@v2.0.0" {
		t.Errorf("referencers of bad.com/u = %v", got)
	}
	got = nil
	for _, m := range refs["a.com/x"] {
		got = append(got, m.Path)
	}
	if strings.Join(got, " ") != "b.com/y example.com/api example.com/root" {
		t.Errorf("referencers of a.com/x = %v", got)
	}
	// a.com/x@v1.1.0 is not the effective version: its requirement of
	// other.com/z does not count.
	if r := refs["other.com/z"]; len(r) != 0 {
		t.Errorf("other.com/z is referenced through a version no one selects: %v", r)
	}
}

func TestStats(t *testing.T) {
	g, _ := Parse(sample)
	s := g.Stats()
	if s.Direct != 2 || s.Total != 4 || s.Transitive != 2 {
		t.Errorf("stats = %+v, want 2 direct (a.com/x, b.com/y) of 4 (plus bad.com/u, c.com/w)", s)
	}
	// Two chains of four: through b.com/y and c.com/w, or through the
	// workspace module example.com/api and a.com/x.
	if l := s.Longest; len(l) != 4 || l[0] != "example.com/root" || l[3] != "bad.com/u" {
		t.Errorf("longest = %v", l)
	}
	if s.Cycles == 0 {
		t.Error("the cycle b.com/y -> c.com/w -> b.com/y was not counted")
	}
}
