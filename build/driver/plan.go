// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hackless/hackless/build"
)

// PrintPlan prints to opts.Out what a run of steps would do (build.DryRun)
// in the format opts.Plan names: "text", a table of the steps with
// whether each runs and why, and the modules that run for a step with a
// module scope; "json", the planned steps as a JSON array; or "dot", a
// Graphviz graph of the steps, their requirements, and the modules each
// runs for, those that would run drawn bold.
func PrintPlan(ctx context.Context, opts Options, steps ...*build.Step) error {
	plan, err := build.DryRun(ctx, opts.Options, steps...)
	if err != nil {
		return err
	}
	w := opts.Out
	switch opts.Plan {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(plan)
	case "dot":
		return writeDot(w, opts.Mode, plan)
	case "text", "":
	default:
		return &build.UsageError{Err: fmt.Errorf("plan format %q: want text, json or dot", opts.Plan)}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tWOULD\tWHY")
	runs := 0
	for _, p := range plan {
		would := "cached"
		switch {
		case p.Run:
			would, runs = "run", runs+1
		case strings.HasPrefix(p.Why, "skipped"), strings.HasPrefix(p.Why, "not affected"):
			would = "skip"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Step, would, p.Why)
		for _, m := range p.Modules {
			if m.Run {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.Module, "run", m.Why)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s would run %d of %d steps; nothing was run\n", opts.Mode, runs, len(plan))
	return err
}

// writeDot writes the plan as a Graphviz digraph.
func writeDot(w io.Writer, mode build.Mode, plan []build.PlannedStep) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n\trankdir=LR;\n\tnode [shape=box];\n", mode)
	for _, p := range plan {
		style := "dashed"
		if p.Run {
			style = "bold"
		}
		fmt.Fprintf(&b, "\t%q [style=%s, tooltip=%q];\n", p.Step, style, p.Why)
		for _, r := range p.Requires {
			fmt.Fprintf(&b, "\t%q -> %q;\n", r, p.Step)
		}
		for _, m := range p.Modules {
			node := p.Step + ":" + m.Module
			style := "dashed"
			if m.Run {
				style = "bold"
			}
			fmt.Fprintf(&b, "\t%q [shape=ellipse, label=%q, style=%s, tooltip=%q];\n\t%q -> %q;\n", node, m.Module, style, m.Why, p.Step, node)
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
