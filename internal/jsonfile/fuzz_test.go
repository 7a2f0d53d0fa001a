// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package jsonfile

import (
	"errors"
	"strings"
	"testing"
)

// FuzzDecode: the JSON configuration files (hack/codegen.json,
// hack/.import-aliases, hack/license-policy.json) never make Decode
// panic, and a refusal names the file.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"commands": [{"dir": "x", "run": ["go", "tool", "gen"]}]}`,
		`{"k8s.io/api/core/v1": "corev1"}`,
		`{"allowed": ["MIT"], "replaceDefaults": true, "allowedFor": {"a": ["CC-BY-4.0"]}, "overrides": {"b": "MIT"}}`,
		"{\n  \"commands\": [\n    {\"dir\": \"x\", \"runn\": []}\n  ]\n}\n",
		`{"a": 1`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		var codegen struct {
			Commands []struct {
				Dir string   `json:"dir"`
				Run []string `json:"run"`
			} `json:"commands"`
		}
		var aliases map[string]string
		for _, v := range []any{&codegen, &aliases} {
			err := Decode("hack/x.json", []byte(data), v)
			var e *Error
			if err != nil && (!errors.As(err, &e) || !strings.Contains(err.Error(), "hack/x.json")) {
				t.Errorf("Decode(%q) = %v, want an *Error naming the file", data, err)
			}
		}
	})
}
