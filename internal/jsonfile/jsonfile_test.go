// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package jsonfile

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	type cfg struct {
		Commands []struct {
			Dir string   `json:"dir"`
			Run []string `json:"run"`
		} `json:"commands"`
	}
	tests := []struct{ in, want string }{
		{"{\n  \"commands\": [\n    {\"dir\": 1}\n  ]\n}\n", "c.json:3: commands.dir must be a string"},
		{"{\n  \"commandz\": []\n}\n", `c.json:2: unknown field "commandz"`},
		{"{\n  \"commands\": [,]\n}\n", "c.json:2: invalid character ','"},
		{"", "c.json:1: EOF"},
	}
	for _, tt := range tests {
		var c cfg
		if err := Decode("c.json", []byte(tt.in), &c); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decode(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
	var c cfg
	if err := Decode("c.json", []byte(`{"commands": [{"dir": "a", "run": ["x"]}]}`), &c); err != nil || c.Commands[0].Run[0] != "x" {
		t.Errorf("good file: %v %+v", err, c)
	}
}
