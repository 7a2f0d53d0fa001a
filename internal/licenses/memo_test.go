// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package licenses

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// memoFiles lists the remembered results under dir.
func memoFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// TestClassifierRemembers: a classifier gives Identify's result, from
// licensecheck the first time and from its directory after that, for the
// same text and the same licensecheck only; what it cannot read as a
// result it finds again.
func TestClassifierRemembers(t *testing.T) {
	texts := []string{
		mit,
		strings.Repeat("This project is great and you should use it in many ways. ", 40) + mit, // under MinCoverage
		"Copyright 2020 X. All rights reserved.\n",                                             // no license
		"",
	}
	dir := t.TempDir()
	c := newClassifier(dir, "github.com/google/licensecheck@v0.3.1 h1:x")
	for _, text := range texts {
		wantIDs, wantCov := Identify([]byte(text))
		for i := range 2 {
			ids, cov := c.Identify([]byte(text))
			if !slices.Equal(ids, wantIDs) || cov != wantCov {
				t.Errorf("call %d on %.20q: %v %.1f%%, want %v %.1f%%", i+1, text, ids, cov, wantIDs, wantCov)
			}
		}
	}
	files := memoFiles(t, dir)
	if len(files) != len(texts) {
		t.Fatalf("%d results remembered for %d texts: %q", len(files), len(texts), files)
	}

	// The second call reads what the first wrote: a result put in its
	// place is what comes back.
	for _, f := range files {
		os.WriteFile(f, []byte(memoHeader+"100\nISC\n"), 0o644)
	}
	old := time.Now().Add(-48 * time.Hour)
	for _, f := range files {
		os.Chtimes(f, old, old)
	}
	if ids, cov := c.Identify([]byte(mit)); !slices.Equal(ids, []string{"ISC"}) || cov != 100 {
		t.Errorf("the remembered result is not used: %v %.1f%%", ids, cov)
	}
	// A use marks it, so that the cache's trim keeps what is used.
	used := 0
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.ModTime().After(old.Add(time.Hour)) {
			used++
		}
	}
	if used != 1 {
		t.Errorf("%d remembered results marked after one use, want 1", used)
	}
	// Another licensecheck remembers apart.
	other := newClassifier(dir, "github.com/google/licensecheck@v0.3.2 h1:y")
	if ids, _ := other.Identify([]byte(mit)); !slices.Equal(ids, []string{"MIT"}) {
		t.Errorf("a result of another licensecheck is used: %v", ids)
	}

	// A file that is not a result is found again and rewritten.
	for _, bad := range []string{"", "garbage", memoHeader, memoHeader + "x\nMIT\n", memoHeader + "100\n\nMIT\n", memoHeader + "100\nMIT"} {
		for _, f := range files {
			os.WriteFile(f, []byte(bad), 0o644)
		}
		if ids, _ := c.Identify([]byte(mit)); !slices.Equal(ids, []string{"MIT"}) {
			t.Errorf("after %q: %v, want MIT", bad, ids)
		}
	}

	// No directory, or no licensecheck version: nothing is remembered.
	for _, c := range []*Classifier{newClassifier("", "v"), newClassifier(t.TempDir(), "")} {
		if ids, _ := c.Identify([]byte(mit)); !slices.Equal(ids, []string{"MIT"}) || c.dir != "" {
			t.Errorf("classifier %+v: %v", c, ids)
		}
	}
}
