// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/hackless/hackless/internal/atomicfile"
	"github.com/hackless/hackless/internal/jsonfile"
)

// BaselineFile is where a repository records the findings it lives with
// for now, at its root: verify fails only on findings not recorded there.
const BaselineFile = "hackless-baseline.json"

// A Baseline is the findings a repository has accepted for now (as
// golangci-lint's new-from-rev, ESLint's bulk suppressions, PHPStan's
// baseline): verify leaves them out and fails on new ones only. Each is
// known by its step, its file and its message with line and column
// numbers taken out, so that an edit above it does not bring it back;
// one entry stands for as many findings as its count.
type Baseline struct {
	Findings []BaselineEntry `json:"findings"`

	file string
}

// BaselineEntry is one accepted finding.
type BaselineEntry struct {
	Step    string `json:"step"`
	File    string `json:"file"`
	Message string `json:"message"`
	Count   int    `json:"count,omitempty"` // how many such findings; 0 means 1
}

// positionsRE matches the line and column numbers a message may carry
// (another file's "go.mod:7", "3:14").
var positionsRE = regexp.MustCompile(`:\d+(:\d+)?\b`)

func baselineKey(step, file, msg string) string {
	return step + "\x00" + file + "\x00" + positionsRE.ReplaceAllString(msg, "")
}

// LoadBaseline reads root's baseline file; nil when there is none.
func LoadBaseline(root string) (*Baseline, error) {
	name := filepath.Join(root, BaselineFile)
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b := &Baseline{file: name}
	if err := jsonfile.Decode(BaselineFile, data, b); err != nil {
		return nil, err
	}
	return b, nil
}

// NewBaseline records the findings of the failed steps of a report.
func NewBaseline(rep *Report) *Baseline {
	count := make(map[string]int)
	var order []BaselineEntry
	for _, r := range rep.Results {
		if r == nil || r.Status != Failed || r.Usage || r.Interrupted() {
			continue
		}
		for _, f := range r.Findings {
			e := BaselineEntry{Step: r.Step, File: f.Pos.File, Message: positionsRE.ReplaceAllString(f.Message, "")}
			k := baselineKey(e.Step, e.File, e.Message)
			if count[k] == 0 {
				order = append(order, e)
			}
			count[k]++
		}
	}
	b := &Baseline{Findings: []BaselineEntry{}}
	for _, e := range order {
		if n := count[baselineKey(e.Step, e.File, e.Message)]; n > 1 {
			e.Count = n
		}
		b.Findings = append(b.Findings, e)
	}
	slices.SortStableFunc(b.Findings, func(x, y BaselineEntry) int {
		return strings.Compare(x.Step+"\x00"+x.File, y.Step+"\x00"+y.File)
	})
	return b
}

// Write writes the baseline into root's baseline file.
func (b *Baseline) Write(root string) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	_, err = atomicfile.Write(filepath.Join(root, BaselineFile), append(data, '\n'), 0o644)
	return err
}

// Len is how many findings the baseline accepts.
func (b *Baseline) Len() int {
	n := 0
	for _, e := range b.Findings {
		n += max(e.Count, 1)
	}
	return n
}

// filter takes the accepted findings out of a failed result, which
// passes when none is left; it returns how many it took out. A result
// that failed for another reason than findings keeps its failure.
func (b *Baseline) filter(r *Result, left map[string]int) int {
	if r.Status != Failed || r.Usage || r.Interrupted() || len(r.Findings) == 0 {
		return 0
	}
	var kept []Finding
	n := 0
	for _, f := range r.Findings {
		k := baselineKey(r.Step, f.Pos.File, f.Message)
		if left[k] > 0 {
			left[k]--
			n++
			continue
		}
		kept = append(kept, f)
	}
	r.Findings = kept
	if len(kept) == 0 && r.Reason == "" {
		r.Status, r.Fix = Passed, ""
	}
	if n > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d findings left out: they are in %s (-baseline=off shows them)", n, BaselineFile))
	}
	return n
}

// counts returns how many findings of each key the baseline accepts.
func (b *Baseline) counts() map[string]int {
	left := make(map[string]int)
	for _, e := range b.Findings {
		left[baselineKey(e.Step, e.File, e.Message)] += max(e.Count, 1)
	}
	return left
}

// stale lists the entries whose file is gone: they are reported, so that
// the baseline shrinks as findings are fixed.
func (b *Baseline) stale(root string) []string {
	var out []string
	for _, e := range b.Findings {
		if e.File == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(e.File))); errors.Is(err, fs.ErrNotExist) {
			out = append(out, fmt.Sprintf("%s: %s's entry for %s, which no longer exists: go tool mage baseline records the findings anew", BaselineFile, e.Step, e.File))
		}
	}
	return out
}
