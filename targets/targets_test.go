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
// ones, one after another (two scripts may write any file), and a step
// registered before the step it requires still writes after it.
func TestUpdateOrder(t *testing.T) {
	noop := func(*build.Pass) error { return nil }
	gen := &build.Step{Name: "gen", Writes: []string{"*.txt"}, Run: noop}
	fmtTxt := &build.Step{Name: "fmttxt", Writes: []string{"*.txt"}, Requires: []*build.Step{gen}, Run: noop}
	check := &build.Step{Name: "check", Run: noop} // writes nothing
	script := &build.Step{Name: "hack-x", Writes: []string{"*"}, Run: noop}
	order := updateOrder([]*build.Step{fmtTxt, steps.Gofmt, check, gen, script})
	builtin := steps.UpdateOrder()
	if !slices.Equal(order[:len(builtin)], builtin) {
		t.Fatalf("the built-in order changed: %v", order)
	}
	if got := strings.Join(order[len(builtin):], " "); got != "gen fmttxt hack-x" {
		t.Errorf("after the built-in steps: %q, want \"gen fmttxt hack-x\"", got)
	}
	// Writers of the same files, unrelated otherwise, are ordered: the
	// graph is valid, in a verify run as in an update.
	if _, err := build.Plan(build.Options{Order: order}, fmtTxt, steps.Gofmt, check, gen, script); err != nil {
		t.Errorf("the order leaves the graph invalid: %v", err)
	}
}
