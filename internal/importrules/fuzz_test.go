// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package importrules

import "testing"

// FuzzParse: no .import-restrictions file makes Parse or Decide panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"rules:\n  - selectorRegexp: example[.]com\n    allowedPrefixes:\n      - example.com\n",
		"{\"Rules\": [{\"SelectorRegexp\": \"k8s[.]io\", \"ForbiddenPrefixes\": [\"k8s.io/kubernetes\"], \"Transitive\": true}]}",
		"inverseRules:\n  - selectorRegexp: \"\"\n    allowedPrefixes: [\"\"]\n",
		"rules: [\n",
		"rules:\n  - selectorRegexp: \"(\"\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		file, err := Parse("x/.import-restrictions", []byte(data))
		if err != nil {
			return
		}
		Decide([]*File{file}, "example.com/a/b", true, false)
		Decide([]*File{file}, "k8s.io/kubernetes/pkg", false, true)
	})
}
