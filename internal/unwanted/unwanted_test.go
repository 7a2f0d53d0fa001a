// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package unwanted

import (
	"strings"
	"testing"
)

const sample = `{
  "spec": {
    "pinnedModules": {
      "example.com/pinned": {
        "version": "v0.27.0",
        "reason": "pin to v0.27.0, see #1 & <2>"
      }
    },
    "unwantedModules": {
      "bad.com/a": "unmaintained, archive mode",
      "bad.com/b": "",
      "bad.com/c": "` + "`x`" + ` should use stdlib"
    }
  },
  "status": {
    "unwantedReferences": {
      "bad.com/a": [
        "dep.com/one",
        "dep.com/two"
      ]
    },
    "unwantedVendored": [
      "bad.com/a"
    ]
  }
}
`

func TestRoundTrip(t *testing.T) {
	f, err := Parse("u.json", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(f.Format()); got != sample {
		t.Errorf("Format changed the file:\n%s", got)
	}
	if f.Spec.PinnedModules["example.com/pinned"].Version != "v0.27.0" || len(f.Spec.UnwantedModules) != 3 {
		t.Errorf("parsed %+v", f)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"{\n  \"spec\": {\n    \"unwantedModules\": {\n      \"a\": 1\n    }\n  }\n}\n", "u.json:4: spec.unwantedModules must be a string"},
		{"{\n  \"spec\": {},\n  \"statuss\": {}\n}\n", `u.json:3: unknown field "statuss"`},
		{"{\n  \"spec\": {\n  ,\n}\n", "u.json:3: invalid character ','"},
	}
	for _, tt := range tests {
		_, err := Parse("u.json", []byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	spec := Spec{UnwantedModules: map[string]string{"bad.com/a": "unmaintained", "bad.com/b": "", "bad.com/c": ""}}
	recorded := Status{
		UnwantedReferences: map[string][]string{"bad.com/a": {"dep.com/one", "dep.com/two"}, "bad.com/b": {"dep.com/three"}},
		UnwantedVendored:   []string{"bad.com/a", "bad.com/b"},
	}
	actual := Status{
		UnwantedReferences: map[string][]string{"bad.com/a": {"dep.com/one", "dep.com/new"}, "bad.com/c": {"dep.com/four"}},
		UnwantedVendored:   []string{"bad.com/a", "bad.com/c"},
	}
	var got []string
	for _, p := range Compare(spec, recorded, actual) {
		got = append(got, p.Message)
	}
	want := []string{
		`unwanted module bad.com/a (unmaintained) is newly required by dep.com/new: avoid the dependency, or record it in status.unwantedReferences["bad.com/a"] with update:deps`,
		`good news: dep.com/two no longer require unwanted module bad.com/a; remove "dep.com/two" from status.unwantedReferences["bad.com/a"]`,
		`good news: unwanted module bad.com/b is no longer referenced; remove the key "bad.com/b" from status.unwantedReferences so it cannot come back`,
		`unwanted module bad.com/c is newly required by dep.com/four: avoid the dependency, or record it in status.unwantedReferences["bad.com/c"] with update:deps`,
		`unwanted module bad.com/c is newly vendored: avoid the dependency, or record it in status.unwantedVendored with update:deps`,
		`good news: unwanted module bad.com/b is no longer vendored; remove "bad.com/b" from status.unwantedVendored`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Compare:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p := Compare(spec, recorded, recorded); len(p) != 0 {
		t.Errorf("equal status: %v", p)
	}
}

func TestLine(t *testing.T) {
	data := []byte("a\n\"x\"\nb\n\"x\"\n")
	if Line(data, `"x"`, 0) != 2 || Line(data, `"x"`, 3) != 4 || Line(data, "zz", 0) != 0 {
		t.Error("Line")
	}
}
