// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package targets

import (
	"slices"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/steps"
)

// TestUpdateOrder: steps that are not built in write after the built-in
// ones, and a step registered before the step it requires still writes
// after it.
func TestUpdateOrder(t *testing.T) {
	noop := func(*build.Pass) error { return nil }
	gen := &build.Step{Name: "gen", Writes: []string{"*.txt"}, Run: noop}
	fmtTxt := &build.Step{Name: "fmttxt", Writes: []string{"*.txt"}, Requires: []*build.Step{gen}, Run: noop}
	check := &build.Step{Name: "check", Run: noop} // writes nothing
	order := updateOrder([]*build.Step{fmtTxt, steps.Gofmt, check, gen})
	builtin := steps.UpdateOrder()
	if !slices.Equal(order[:len(builtin)], builtin) {
		t.Fatalf("the built-in order changed: %v", order)
	}
	if got := strings.Join(order[len(builtin):], " "); got != "gen fmttxt" {
		t.Errorf("after the built-in steps: %q, want \"gen fmttxt\"", got)
	}
	if _, err := build.Plan(build.Options{Order: order}, fmtTxt, gen); err != nil {
		t.Errorf("the order contradicts the graph: %v", err)
	}
}
