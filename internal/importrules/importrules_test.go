// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package importrules

import (
	"strings"
	"testing"
)

const yamlFile = `rules:
  - selectorRegexp: k8s[.]io
    allowedPrefixes:
      - k8s.io/gengo/v2/examples
      - k8s.io/kubernetes/third_party
    forbiddenPrefixes:
      - k8s.io/kubernetes/pkg/third_party/deprecated
  - selectorRegexp: ^unsafe$
    forbiddenPrefixes:
      - ""
inverseRules:
  - selectorRegexp: k8s[.]io
    transitive: true
    forbiddenPrefixes:
      - k8s.io/kubernetes/cmd/kubelet
`

const jsonFile = `{
  "Rules": [
    {
      "SelectorRegexp": "example[.]com",
      "AllowedPrefixes": ["example.com/api"],
      "ForbiddenPrefixes": []
    }
  ]
}`

func TestParse(t *testing.T) {
	f, err := Parse("a/.import-restrictions", []byte(yamlFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rules) != 2 || len(f.InverseRules) != 1 || f.Rules[1].Line != 8 || !f.InverseRules[0].Transitive {
		t.Errorf("parsed %+v", f)
	}
	j, err := Parse("b/.import-restrictions", []byte(jsonFile))
	if err != nil || len(j.Rules) != 1 || j.Rules[0].AllowedPrefixes[0] != "example.com/api" {
		t.Errorf("JSON with capitalized keys: %+v, %v", j, err)
	}
	for _, bad := range []struct{ in, want string }{
		{"rules:\n  - selectorRegexp: \"(\"\n", "x:2: selectorRegexp \"(\" does not compile"},
		{"rules:\n  - selectorRegexp: a\n    forbidenPrefixes: [b]\n", `x:3: unknown key "forbidenPrefixes" in a rule`},
		{"rulez: []\n", `x:1: unknown key "rulez"`},
		{"rules: [\n", "x:1: did not find expected node content"},
		{"rules:\n  - selectorRegexp: a\n    transitive: maybe\n", "x:3: transitive"},
	} {
		if _, err := Parse("x", []byte(bad.in)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Parse(%q) = %v, want %q", bad.in, err, bad.want)
		}
	}
}

func TestDecide(t *testing.T) {
	near, _ := Parse("near", []byte("rules:\n  - selectorRegexp: example\n    allowedPrefixes: [example.com/ok]\n"))
	far, _ := Parse("far", []byte("rules:\n  - selectorRegexp: example\n    forbiddenPrefixes: [example.com]\n    allowedPrefixes: [example.com/ok]\n  - selectorRegexp: ^unsafe$\n    forbiddenPrefixes: [\"\"]\n  - selectorRegexp: deep\n    transitive: true\n    forbiddenPrefixes: [deep.com/bad]\n"))
	files := []*File{near, far}
	tests := []struct {
		path   string
		direct bool
		want   Disposition
		file   string
		match  bool
	}{
		{"example.com/ok/x", true, Allowed, "near", true},  // the nearest file decides
		{"example.com/okay", true, Forbidden, "far", true}, // whole segments: okay is not ok
		{"unsafe", true, Forbidden, "far", true},           // "" matches everything
		{"unsafe", false, Unknown, "", false},              // not transitive
		{"deep.com/bad/y", false, Forbidden, "far", true},  // transitive rule
		{"other.org/x", true, Unknown, "", false},          // no selector
		{"example.org/x", true, Unknown, "", true},         // matched, undecided: an error for the caller
	}
	for _, tt := range tests {
		d := Decide(files, tt.path, tt.direct, false)
		file := ""
		if d.File != nil {
			file = d.File.Path
		}
		if d.Disposition != tt.want || file != tt.file || d.Matched != tt.match {
			t.Errorf("Decide(%q, direct=%v) = %v by %q matched=%v; want %v by %q matched=%v", tt.path, tt.direct, d.Disposition, file, d.Matched, tt.want, tt.file, tt.match)
		}
	}
}
