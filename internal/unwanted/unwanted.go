// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package unwanted reads and writes Kubernetes's
// hack/unwanted-dependencies.json and compares its status section, a
// ratchet, with the status the module graph has now.
package unwanted

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hackless/hackless/internal/jsonfile"
)

// File is the whole file.
type File struct {
	Spec   Spec   `json:"spec"`
	Status Status `json:"status"`
}

// Spec says what is unwanted and what is pinned.
type Spec struct {
	// PinnedModules must be selected at exactly the given version.
	PinnedModules map[string]Pin `json:"pinnedModules,omitempty"`
	// UnwantedModules maps a module path to the reason it is unwanted.
	UnwantedModules map[string]string `json:"unwantedModules"`
}

// Pin is a pinned version and why.
type Pin struct {
	Version string `json:"version"`
	Reason  string `json:"reason"`
}

// Status records where unwanted modules are still used.
type Status struct {
	// UnwantedReferences maps an unwanted module to the modules that still
	// require it.
	UnwantedReferences map[string][]string `json:"unwantedReferences,omitempty"`
	// UnwantedVendored lists the unwanted modules that are vendored (or,
	// without vendoring, compiled in).
	UnwantedVendored []string `json:"unwantedVendored,omitempty"`
}

// Parse reads the file; name is used in errors, which give the line.
// Unknown fields are errors, as in Kubernetes's dependencyverifier.
func Parse(name string, data []byte) (*File, error) {
	var f File
	if err := jsonfile.Decode(name, data, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// Format writes the file as Kubernetes keeps it: two-space indentation,
// keys sorted, no HTML escaping, a final newline.
func (f *File) Format() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		panic(err) // maps of strings always encode
	}
	return b.Bytes()
}

// Line returns the line of the first occurrence of needle at or after
// line from (1-based; 0 for anywhere), or 0 when there is none.
func Line(data []byte, needle string, from int) int {
	start := 0
	for l := 1; l < from; l++ {
		i := bytes.IndexByte(data[start:], '\n')
		if i < 0 {
			return 0
		}
		start += i + 1
	}
	i := bytes.Index(data[start:], []byte(needle))
	if i < 0 {
		return 0
	}
	return jsonfile.Line(data, int64(start+i))
}

// Problem is one difference between the recorded and the actual status,
// with the edit that resolves it.
type Problem struct {
	Module  string // the unwanted module
	Entry   string // the recorded entry the problem is about, if any
	Message string
}

// Compare returns how the recorded status differs from the actual one.
// New references and newly vendored modules are regressions; references
// that are gone but still recorded must be removed from the record, so
// that they cannot come back unnoticed.
func Compare(spec Spec, recorded, actual Status) []Problem {
	var out []Problem
	reason := func(m string) string {
		if r := spec.UnwantedModules[m]; r != "" {
			return " (" + r + ")"
		}
		return ""
	}
	mods := slices.Sorted(maps.Keys(recorded.UnwantedReferences))
	for _, m := range slices.Sorted(maps.Keys(actual.UnwantedReferences)) {
		if !slices.Contains(mods, m) {
			mods = append(mods, m)
		}
	}
	slices.Sort(mods)
	for _, m := range mods {
		was, now := recorded.UnwantedReferences[m], actual.UnwantedReferences[m]
		for _, r := range now {
			if !slices.Contains(was, r) {
				out = append(out, Problem{m, "", fmt.Sprintf("unwanted module %s%s is newly required by %s: avoid the dependency, or record it in status.unwantedReferences[%q] with update:deps", m, reason(m), r, m)})
			}
		}
		var gone []string
		for _, r := range was {
			if !slices.Contains(now, r) {
				gone = append(gone, r)
			}
		}
		switch {
		case len(gone) > 0 && len(now) == 0:
			out = append(out, Problem{m, "", fmt.Sprintf("good news: unwanted module %s is no longer referenced; remove the key %q from status.unwantedReferences so it cannot come back", m, m)})
		case len(gone) > 0:
			out = append(out, Problem{m, gone[0], fmt.Sprintf("good news: %s no longer require unwanted module %s; remove %s from status.unwantedReferences[%q]", strings.Join(gone, ", "), m, quoteAll(gone), m)})
		}
	}
	for _, m := range actual.UnwantedVendored {
		if !slices.Contains(recorded.UnwantedVendored, m) {
			out = append(out, Problem{m, "", fmt.Sprintf("unwanted module %s%s is newly vendored: avoid the dependency, or record it in status.unwantedVendored with update:deps", m, reason(m))})
		}
	}
	for _, m := range recorded.UnwantedVendored {
		if !slices.Contains(actual.UnwantedVendored, m) {
			out = append(out, Problem{m, m, fmt.Sprintf("good news: unwanted module %s is no longer vendored; remove %q from status.unwantedVendored", m, m)})
		}
	}
	return out
}

func quoteAll(s []string) string {
	var q []string
	for _, x := range s {
		q = append(q, fmt.Sprintf("%q", x))
	}
	return strings.Join(q, ", ")
}
