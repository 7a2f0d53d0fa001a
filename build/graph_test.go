// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func noop(*Pass) error { return nil }

func TestNewGraph(t *testing.T) {
	a := &Step{Name: "a", Run: noop}
	b := &Step{Name: "b", Run: noop, Requires: []*Step{a}}
	c := &Step{Name: "c", Run: noop, Requires: []*Step{b, a}}

	tidy := &Step{Name: "tidy", Run: noop}
	vendor := &Step{Name: "vendor", Run: noop, Requires: []*Step{tidy}}
	tidy.Requires = []*Step{vendor}

	w1 := &Step{Name: "w1", Run: noop, Writes: []string{"go.mod"}}
	w2 := &Step{Name: "w2", Run: noop, Writes: []string{"go.mod", "go.sum"}}
	w3 := &Step{Name: "w3", Run: noop, Writes: []string{"go.mod"}, Requires: []*Step{w1}}
	w4 := &Step{Name: "w4", Run: noop, Writes: []string{"go.mod"}, After: []*Step{w1}}
	x := &Step{Name: "x", Run: noop}
	y := &Step{Name: "y", Run: noop, After: []*Step{x}}
	p := &Step{Name: "p", Run: noop}
	q := &Step{Name: "q", Run: noop, Requires: []*Step{p}}
	p.After = []*Step{q}
	g1 := &Step{Name: "g1", Run: noop, Writes: []string{"*.go"}}
	g2 := &Step{Name: "g2", Run: noop, Writes: []string{"go.work"}}

	tests := []struct {
		name    string
		roots   []*Step
		want    string // the order, or the error
		wantErr bool
	}{
		{name: "order", roots: []*Step{c}, want: "a b c"},
		{name: "each once", roots: []*Step{c, b, a}, want: "a b c"},
		{name: "cycle", roots: []*Step{tidy}, want: "cycle: tidy -> vendor -> tidy", wantErr: true},
		{name: "nil root", roots: []*Step{nil}, want: "unknown (nil) step", wantErr: true},
		{name: "nil requirement", roots: []*Step{{Name: "x", Run: noop, Requires: []*Step{nil}}}, want: "step x requires an unknown (nil) step", wantErr: true},
		{name: "same name", roots: []*Step{a, {Name: "a", Run: noop}}, want: `two different steps are named "a"`, wantErr: true},
		{name: "no run", roots: []*Step{{Name: "x"}}, want: "no Run", wantErr: true},
		{name: "unordered writers", roots: []*Step{w1, w2}, want: "steps w1 and w2 may both write", wantErr: true},
		{name: "ordered writers", roots: []*Step{w3}, want: "w1 w3"},
		{name: "disjoint writers", roots: []*Step{g1, g2, w1}, want: "g1 g2 w1"},
		{name: "after orders writers", roots: []*Step{w4, w1}, want: "w1 w4"},
		{name: "after does not pull in", roots: []*Step{y}, want: "y"},
		{name: "after orders when both run", roots: []*Step{y, x}, want: "x y"},
		{name: "cycle through after", roots: []*Step{q}, want: "cycle: q -> p -> q", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := newGraph(tt.roots)
			if tt.wantErr {
				var ue *UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want a UsageError containing %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range g.order {
				names = append(names, s.Name)
			}
			if got := strings.Join(names, " "); got != tt.want {
				t.Errorf("order = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPatternsOverlap(t *testing.T) {
	tests := []struct {
		p, q string
		want bool
	}{
		{"go.mod", "go.mod", true},
		{"go.mod", "go.sum", false},
		{"*.go", "go.mod", false},
		{"*.go", "main.go", true},
		{"*.go", "zz_generated*.go", true},
		{"*.go", "*.md", false},
		{"LICENSE*", "*.go", true}, // LICENSE.go
		{"LICENSE*", "go.mod", false},
		{"LICENSE*", "*", true},
		{"go.*", "*.mod", true},
	}
	for _, tt := range tests {
		if got := patternsOverlap(tt.p, tt.q); got != tt.want {
			t.Errorf("patternsOverlap(%q, %q) = %v, want %v", tt.p, tt.q, got, tt.want)
		}
		if got := patternsOverlap(tt.q, tt.p); got != tt.want {
			t.Errorf("patternsOverlap(%q, %q) = %v, want %v", tt.q, tt.p, got, tt.want)
		}
	}
}

func TestSelect(t *testing.T) {
	a, b := &Step{Name: "a"}, &Step{Name: "b"}
	all := []*Step{a, b}
	if got, _ := Select(all, nil); len(got) != 2 {
		t.Errorf("Select(nil) = %v, want all", got)
	}
	if got, _ := Select(all, []string{"b"}); len(got) != 1 || got[0] != b {
		t.Errorf("Select(b) = %v", got)
	}
	_, err := Select(all, []string{"b", "nope"})
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `unknown step "nope"; the steps are: a b`) {
		t.Errorf("Select(nope) err = %v", err)
	}
}

// TestOrder: Options.Order orders writers in an update as After would,
// without pulling steps in, and makes two writers of one file valid.
func TestOrder(t *testing.T) {
	run := func(name string) *Step {
		return &Step{Name: name, Writes: []string{"*.go"}, Run: func(*Pass) error { return nil }}
	}
	a, b, c := run("a"), run("b"), run("c")
	if _, err := newGraph([]*Step{c, a}); err == nil {
		t.Fatal("two unordered writers of *.go were accepted")
	}
	g, err := newGraph([]*Step{c, a}, "a", "b", "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.order) != 2 || g.order[0] != a || g.order[1] != c || !slices.Contains(g.preds[c], a) {
		t.Errorf("order %v, preds of c %v", g.order, g.preds[c])
	}
	_ = b
}

// TestPositionQuotesControlCharacters: a file name with a newline prints
// on one line, quoted; an ordinary one as it is.
func TestPositionQuotesControlCharacters(t *testing.T) {
	for _, tc := range []struct {
		pos  Position
		want string
	}{
		{Position{File: "a.go", Line: 3, Col: 2}, "a.go:3:2"},
		{Position{File: "a\nb.go", Line: 3}, `"a\nb.go":3`},
		{Position{File: "tab\there.go"}, `"tab\there.go"`},
	} {
		if got := tc.pos.String(); got != tc.want {
			t.Errorf("%#v: %q, want %q", tc.pos, got, tc.want)
		}
	}
}
