// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package licenses

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/internal/testws"
)

// mit is the MIT license text.
const mit = testws.MIT

func write(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
	}
	return dir
}

func TestFind(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"license", map[string]string{"LICENSE": mit, "README.md": "Copyright me"}, "LICENSE"},
		{"licence spelling, lower case", map[string]string{"licence.txt": mit}, "licence.txt"},
		{"first sorted", map[string]string{"LICENSE.md": mit, "LICENSE": mit}, "LICENSE"},
		{"license without the word is skipped", map[string]string{"LICENSE": "see elsewhere", "NOTICE": "Copyright 2020 X"}, "NOTICE"},
		{"readme two levels down", map[string]string{"docs/x/README": "Copyright 2020 X"}, "docs/x/README"},
		{"readme too deep", map[string]string{"a/b/c/README": "Copyright 2020 X"}, ""},
		{"copying", map[string]string{"COPYING": "GNU license"}, "COPYING"},
		{"nothing", map[string]string{"main.go": "package main"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Find(write(t, tt.files))
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if f != nil {
				got = f.Name
			}
			if got != tt.want {
				t.Errorf("Find = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIdentifyAndPolicy(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantIDs string
		allowed bool
	}{
		{"MIT", mit, "MIT", true},
		{"MIT with a long preamble", strings.Repeat("This project is great and you should use it in many ways. ", 40) + mit, "", false},
		{"not a license", "Copyright 2020 X. All rights reserved.\n", "", false},
	}
	for _, tt := range tests {
		ids, cov := Identify([]byte(tt.text))
		if strings.Join(ids, ",") != tt.wantIDs {
			t.Errorf("%s: Identify = %v (coverage %.0f%%), want %q", tt.name, ids, cov, tt.wantIDs)
		}
		if got := (*Policy)(nil).Allows("m", ids); got != tt.allowed {
			t.Errorf("%s: Allows = %v", tt.name, got)
		}
	}
	for _, tt := range []struct {
		policy Policy
		module string
		ids    []string
		want   bool
	}{
		{Policy{Allowed: []string{"MPL-2.0"}}, "m", []string{"MIT"}, true}, // extends the defaults
		{Policy{Allowed: []string{"MPL-2.0"}}, "m", []string{"MPL-2.0"}, true},
		{Policy{Allowed: []string{"MPL-2.0"}, ReplaceDefaults: true}, "m", []string{"MIT"}, false},
		{Policy{AllowedFor: map[string][]string{"font": {"CC-BY-4.0"}}}, "font", []string{"CC-BY-4.0"}, true},
		{Policy{AllowedFor: map[string][]string{"font": {"CC-BY-4.0"}}}, "other", []string{"CC-BY-4.0"}, false},
	} {
		if got := tt.policy.Allows(tt.module, tt.ids); got != tt.want {
			t.Errorf("%+v allows %s %v = %v, want %v", tt.policy, tt.module, tt.ids, got, tt.want)
		}
	}
	if _, err := ParsePolicy("p.json", []byte("{\n\"allowed\": [1]\n}")); err == nil {
		t.Error("bad policy accepted")
	}
	if _, err := ParsePolicy("p.json", []byte("{\n,\n}")); err == nil || !strings.Contains(err.Error(), "p.json:2:") {
		t.Errorf("syntax error without line: %v", err)
	}
}

func TestEntry(t *testing.T) {
	got := string(Entry("example.com/m", &File{Name: "LICENSE", Data: []byte("text\n")}))
	want := "= vendor/example.com/m licensed under: =\n\ntext\n\n= vendor/example.com/m/LICENSE e1cbb0c3879af8347246f12c559a86b5\n"
	if got != want {
		t.Errorf("Entry =\n%q\nwant\n%q", got, want)
	}
}
