// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package config

import (
	"errors"
	"testing"
)

// FuzzParse: no hackless.yaml makes Parse panic; a file it refuses is an
// *Error at a line of the file; one it accepts answers Line and Excluded.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"spelling:\n  exclude: [\"docs/**\"]\n  locale: US\n",
		"vet:\n  analyzers:\n    printf: false\n  exclude:\n    - path: \"**/x.go\"\n      analyzer: printf\n",
		"typecheck:\n  platforms: [linux/amd64, windows/amd64]\n",
		"scripts:\n  discover: hack\n  steps:\n    - name: mine\n      verify: hack/verify-mine.sh\n",
		"boilerplate:\n  rules:\n    - pattern: \"Copyright(?:\\\\s+\\\\d{4})?\"\n      header: |\n        // Copyright.\n",
		"deps:\n  ownVersions: [example.com/a]\nlicenses:\n  policy: default\n",
		"cache:\n  remote: http://x\n  keyFile: k\n",
		"lint: {timeout: 5m}\n",
		"nope: 1\n",
		"spelling: [\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		c, err := Parse([]byte(data))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) = %T %v, want an *Error", data, err, err)
			}
			return
		}
		c.Line("spelling", "exclude")
		c.Line("scripts", "steps", "0", "verify")
		c.Excluded("tools")
	})
}
