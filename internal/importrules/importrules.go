// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package importrules reads import-boss's .import-restrictions files (YAML
// or JSON) and evaluates their rules exactly as import-boss does.
package importrules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hackless/hackless/internal/jsonfile"
)

// FileName is the name of a restrictions file.
const FileName = ".import-restrictions"

// File is one restrictions file.
type File struct {
	Path         string // root-relative
	Rules        []*Rule
	InverseRules []*Rule
}

// Rule is one rule: the imports (or, for an inverse rule, the importers)
// that its selector matches must have an allowed prefix and no forbidden
// one.
type Rule struct {
	SelectorRegexp    string
	AllowedPrefixes   []string
	ForbiddenPrefixes []string
	Transitive        bool

	Line     int // where the rule starts in its file
	selector *regexp.Regexp
}

// Disposition is what a rule decides about one path.
type Disposition int

const (
	Unknown Disposition = iota
	Allowed
	Forbidden
)

// Parse reads a restrictions file. Keys match without regard to case, as
// with the YAML-to-JSON decoding import-boss uses; unknown keys and bad
// regular expressions are errors naming the file and line (a
// *jsonfile.Error, whatever the file's syntax).
func Parse(path string, data []byte) (*File, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(path, err)
	}
	f := &File{Path: path}
	if len(root.Content) == 0 {
		return f, nil
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, &jsonfile.Error{File: path, Line: top.Line, Msg: "want a mapping with rules and inverseRules"}
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		var dst *[]*Rule
		switch strings.ToLower(k.Value) {
		case "rules":
			dst = &f.Rules
		case "inverserules":
			dst = &f.InverseRules
		default:
			return nil, &jsonfile.Error{File: path, Line: k.Line, Msg: fmt.Sprintf("unknown key %q (want rules or inverseRules)", k.Value)}
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return nil, &jsonfile.Error{File: path, Line: v.Line, Msg: fmt.Sprintf("%s must be a list", k.Value)}
		}
		for _, rn := range v.Content {
			r, err := parseRule(path, rn)
			if err != nil {
				return nil, err
			}
			*dst = append(*dst, r)
		}
	}
	return f, nil
}

func parseRule(path string, n *yaml.Node) (*Rule, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &jsonfile.Error{File: path, Line: n.Line, Msg: "a rule must be a mapping"}
	}
	r := &Rule{Line: n.Line}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch strings.ToLower(k.Value) {
		case "selectorregexp":
			err = v.Decode(&r.SelectorRegexp)
		case "allowedprefixes":
			err = v.Decode(&r.AllowedPrefixes)
		case "forbiddenprefixes":
			err = v.Decode(&r.ForbiddenPrefixes)
		case "transitive":
			err = v.Decode(&r.Transitive)
		default:
			return nil, &jsonfile.Error{File: path, Line: k.Line, Msg: fmt.Sprintf("unknown key %q in a rule (want selectorRegexp, allowedPrefixes, forbiddenPrefixes, transitive)", k.Value)}
		}
		if err != nil {
			return nil, &jsonfile.Error{File: path, Line: v.Line, Msg: fmt.Sprintf("%s: %v", k.Value, err)}
		}
	}
	sel, err := regexp.Compile(r.SelectorRegexp)
	if err != nil {
		return nil, &jsonfile.Error{File: path, Line: r.Line, Msg: fmt.Sprintf("selectorRegexp %q does not compile: %v", r.SelectorRegexp, err)}
	}
	r.selector = sel
	return r, nil
}

// Matches reports whether the rule's selector matches a path.
func (r *Rule) Matches(p string) bool { return r.selector.MatchString(p) }

// Evaluate decides a path: forbidden prefixes are checked first, then
// allowed ones; a prefix matches whole path segments, and "" matches
// everything.
func (r *Rule) Evaluate(p string) Disposition {
	for _, f := range r.ForbiddenPrefixes {
		if hasPathPrefix(p, f) {
			return Forbidden
		}
	}
	for _, a := range r.AllowedPrefixes {
		if hasPathPrefix(p, a) {
			return Allowed
		}
	}
	return Unknown
}

func (r *Rule) String() string {
	return fmt.Sprintf("selectorRegexp %q", r.SelectorRegexp)
}

func hasPathPrefix(p, prefix string) bool {
	return prefix == "" || p == prefix || strings.HasPrefix(p, strings.TrimSuffix(prefix, "/")+"/")
}

// Decision is the outcome of checking one path against a chain of files.
type Decision struct {
	Disposition Disposition // Forbidden, Allowed, or Unknown when no selector matched or none decided
	Matched     bool        // a selector matched
	File        *File       // the deciding file
	Rule        *Rule       // the deciding rule
}

// Decide checks path against the files, nearest first, and within each
// file the rules in order: the first rule that decides wins. direct says
// whether the path is imported (or imports) directly; rules that are not
// transitive ignore indirect paths. inverse selects the inverse rules.
func Decide(files []*File, path string, direct, inverse bool) Decision {
	var d Decision
	for _, f := range files {
		rules := f.Rules
		if inverse {
			rules = f.InverseRules
		}
		for _, r := range rules {
			if !r.Transitive && !direct {
				continue
			}
			if !r.Matches(path) {
				continue
			}
			d.Matched = true
			if disp := r.Evaluate(path); disp != Unknown {
				return Decision{Disposition: disp, Matched: true, File: f, Rule: r}
			}
		}
	}
	return d
}

// yamlLineRE finds the line a YAML syntax error names ("yaml: line 3: …").
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a YAML syntax error into a *jsonfile.Error at its line,
// so it is reported once, as file:line: message.
func yamlError(path string, err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &jsonfile.Error{File: path, Line: line, Msg: m[2]}
	}
	return &jsonfile.Error{File: path, Msg: strings.TrimPrefix(msg, "yaml: ")}
}
