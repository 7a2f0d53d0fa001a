// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name        string
		old         *string
		oldPerm     os.FileMode
		data        string
		wantChanged bool
		wantPerm    os.FileMode
	}{
		{name: "new file", data: "a\n", wantChanged: true, wantPerm: 0o644},
		{name: "same content", old: ptr("a\n"), oldPerm: 0o600, data: "a\n", wantChanged: false, wantPerm: 0o600},
		{name: "changed keeps mode", old: ptr("a\n"), oldPerm: 0o755, data: "b\n", wantChanged: true, wantPerm: 0o755},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.txt")
			if tt.old != nil {
				if err := os.WriteFile(path, []byte(*tt.old), tt.oldPerm); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.oldPerm); err != nil {
					t.Fatal(err)
				}
			}
			changed, err := Write(path, []byte(tt.data), 0o644)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.data {
				t.Errorf("content = %q, want %q", got, tt.data)
			}
			fi, _ := os.Stat(path)
			if fi.Mode().Perm() != tt.wantPerm {
				t.Errorf("mode = %v, want %v", fi.Mode().Perm(), tt.wantPerm)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want only f.txt (temporary file left behind?)", len(entries))
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestWriteUnsynced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "f.txt") // a directory it must make
	for _, data := range []string{"a\n", "bb\n"} {
		if err := WriteUnsynced(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != data {
			t.Errorf("content = %q, want %q", got, data)
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only f.txt", len(entries))
	}
}

// TestWriteIfKeepsAnEditAfterTheCheck: a save that lands after WriteIf's
// check and before the new content goes in is swapped back, not
// overwritten.
func TestWriteIfKeepsAnEditAfterTheCheck(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("a"), 0o644)
	os.WriteFile(b, []byte("b"), 0o644)
	if ok, err := exchange(a, b); !ok || err != nil {
		t.Skipf("this system cannot swap two files in one step (%v): WriteIf checks, then renames", err)
	}
	path := filepath.Join(dir, "f.txt")
	os.WriteFile(path, []byte("base\n"), 0o644)
	errEdited := errors.New("edited")
	check := func(name string, moved bool) error {
		got, _ := os.ReadFile(name)
		if !moved {
			defer os.WriteFile(path, []byte("user\n"), 0o644) // the user saves just after the check
		}
		if string(got) != "base\n" {
			return errEdited
		}
		return nil
	}
	changed, err := WriteIf(path, []byte("tool\n"), 0o644, check)
	if !errors.Is(err, errEdited) || changed {
		t.Errorf("WriteIf = %v, %v; want the edit reported", changed, err)
	}
	if got, _ := os.ReadFile(path); string(got) != "user\n" {
		t.Errorf("the file holds %q; want the user's edit", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("the directory holds %d entries; want a, b and f.txt", len(entries))
	}
	// Without an edit the new content goes in.
	os.WriteFile(path, []byte("base\n"), 0o644)
	if changed, err := WriteIf(path, []byte("tool\n"), 0o644, func(name string, _ bool) error { return nil }); err != nil || !changed {
		t.Errorf("WriteIf without an edit = %v, %v", changed, err)
	}
	if got, _ := os.ReadFile(path); string(got) != "tool\n" {
		t.Errorf("the file holds %q; want the new content", got)
	}
}
