// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package unwanted

import "testing"

// FuzzParse: no unwanted-dependencies.json makes Parse panic, and what it
// reads, formatted, reads back the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"spec": {"unwantedModules": {"github.com/x/y": "no"}, "pinnedModules": {"a.b/c": {"version": "v1.0.0", "reason": "r"}}}, "status": {"unwantedReferences": {"github.com/x/y": ["a.b/c"]}, "unwantedVendored": ["github.com/x/y"]}}`,
		`{"spec": {}, "status": {}}`,
		`{"spec": {"bad": 1}}`,
		`[`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		file, err := Parse("unwanted.json", []byte(data))
		if err != nil {
			return
		}
		again, err := Parse("unwanted.json", file.Format())
		if err != nil {
			t.Fatalf("Format of %q does not parse: %v\n%s", data, err, file.Format())
		}
		if string(again.Format()) != string(file.Format()) {
			t.Errorf("Format does not round-trip:\n%s\n%s", file.Format(), again.Format())
		}
		Line([]byte(data), "x", 0)
	})
}
