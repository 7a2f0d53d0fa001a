// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"fmt"
	"slices"
	"strings"
)

// A ShadowResult says whether a built-in step, run in shadow beside the
// repository's own check it could replace, agreed with it in one run.
type ShadowResult struct {
	Builtin, Own string
	// Verdict is "both pass", "both fail", "both fail on the same files"
	// or "disagree".
	Verdict string
	// BuiltinFiles and OwnFiles are the files each side's findings name.
	BuiltinFiles, OwnFiles []string
	// BuiltinFindings are the built-in step's findings, which did not
	// fail the run.
	BuiltinFindings []string `json:",omitempty"`
}

// Agree reports whether the verdict is an agreement.
func (s ShadowResult) Agree() bool { return s.Verdict != "disagree" }

// shadowed turns a shadow step's failure into a pass that says what it
// found: a step in shadow never fails the run.
func shadowed(r *Result, own string) {
	r.shadowFindings = r.Findings
	if r.Status != Failed || r.Usage || r.Interrupted() {
		return
	}
	r.Status, r.Fix, r.Findings = Passed, "", nil
	r.Notes = append(r.Notes, fmt.Sprintf("in shadow beside %s: %d findings, which fail nothing (go tool mage shadow compares the two)", own, len(r.shadowFindings)))
}

// compareShadow compares a built-in step's result, in shadow, with the
// result of the repository's own check.
func compareShadow(builtin, own *Result) ShadowResult {
	s := ShadowResult{Builtin: builtin.Step, Own: own.Step}
	s.BuiltinFiles = findingFiles(builtin.shadowFindings)
	s.OwnFiles = findingFiles(own.Findings)
	for _, f := range builtin.shadowFindings {
		s.BuiltinFindings = append(s.BuiltinFindings, f.String())
	}
	bFail, oFail := len(builtin.shadowFindings) > 0, own.Status == Failed
	switch {
	case !bFail && !oFail:
		s.Verdict = "both pass"
	case bFail != oFail:
		s.Verdict = "disagree"
	case slices.Equal(s.BuiltinFiles, s.OwnFiles):
		s.Verdict = "both fail on the same files"
	case len(s.OwnFiles) == 0:
		s.Verdict = "both fail" // the own check names no files to compare
	default:
		s.Verdict = "disagree"
	}
	return s
}

// findingFiles lists the files findings name, sorted, once each; a
// script's findings at its own file (no file of its output) name none.
func findingFiles(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Pos.File != "" && !strings.HasSuffix(f.Pos.File, ".sh") && f.Pos.File != "Makefile" {
			out = append(out, f.Pos.File)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
