// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package workspace

import (
	"path/filepath"
	"testing"

	"golang.org/x/mod/modfile"
)

func TestReplaceDir(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "fork")
	for _, tt := range []struct {
		path, version, want string
		ok                  bool
	}{
		{"./third_party/lib", "", filepath.Join("/repo", "third_party", "lib"), true},
		{"../sibling", "", filepath.Join("/sibling"), true},
		{abs, "", abs, true}, // absolute: not joined onto the base
		{"example.com/fork", "v1.0.0", "", false},
	} {
		r := &modfile.Replace{}
		r.New.Path, r.New.Version = tt.path, tt.version
		got, ok := ReplaceDir("/repo", r)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ReplaceDir(%q %q) = %q, %v; want %q, %v", tt.path, tt.version, got, ok, tt.want, tt.ok)
		}
	}
}
