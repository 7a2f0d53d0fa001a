// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package cache

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func key(s string) Key { return sha256.Sum256([]byte(s)) }

func TestGetPut(t *testing.T) {
	c, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := c.Get(key("a")); e != nil || err != nil {
		t.Fatalf("empty cache: %v, %v", e, err)
	}
	want := &Entry{Step: "vet", Module: "m", Duration: 3 * time.Second, Notes: []string{"n"}}
	if err := c.Put(key("a"), want); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(key("a"))
	if err != nil || got == nil || got.Step != "vet" || got.Duration != 3*time.Second || got.Notes[0] != "n" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
}

func TestCorruptEntriesAreMisses(t *testing.T) {
	for name, damage := range map[string]func([]byte) []byte{
		"flipped byte": func(b []byte) []byte { b[len(b)-3] ^= 1; return b },
		"truncated":    func(b []byte) []byte { return b[:len(b)/2] },
		"no header":    func(b []byte) []byte { return b[20:] },
		"empty":        func([]byte) []byte { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := Open(t.TempDir(), 0)
			c.Put(key("a"), &Entry{Step: "vet", Duration: time.Second})
			p := c.entryPath(key("a"))
			b, _ := os.ReadFile(p)
			os.WriteFile(p, damage(b), 0o644)
			e, err := c.Get(key("a"))
			if e != nil || !errors.Is(err, ErrCorrupt) {
				t.Errorf("Get = %+v, %v; want a miss with ErrCorrupt", e, err)
			}
			if _, err := os.Stat(p); err == nil {
				t.Error("the corrupt entry was kept")
			}
		})
	}
}

func TestTrim(t *testing.T) {
	c, _ := Open(t.TempDir(), 4096)
	for i := range 100 {
		k := key(string(rune(i)))
		c.Put(k, &Entry{Step: strings.Repeat("x", 100)})
		old := time.Now().Add(time.Duration(i-200) * time.Minute)
		os.Chtimes(c.entryPath(k), old, old)
	}
	c.Put(key("newest"), &Entry{Step: "newest"})
	// Programs built beside the entries, older than all of them and each
	// bigger than the bound, are not the cache's to evict.
	programs := []string{filepath.Join(c.Dir(), "bin", "0123"), filepath.Join(c.Dir(), "tools", "golangci-lint-0123-go1.25.0")}
	for _, p := range programs {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, make([]byte, 8192), 0o755)
		old := time.Now().Add(-1000 * time.Hour)
		os.Chtimes(p, old, old)
	}
	if err := c.Trim(); err != nil {
		t.Fatal(err)
	}
	var total int64
	filepath.Walk(c.Dir(), func(p string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() && !slices.Contains(programs, p) {
			total += fi.Size()
		}
		return nil
	})
	if total > 4096 {
		t.Errorf("%d bytes after Trim, bound 4096", total)
	}
	for _, p := range programs {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Trim removed the program %s: %v", p, err)
		}
	}
	if e, _ := c.Get(key("newest")); e == nil {
		t.Error("Trim removed the most recent entry")
	}
	if e, _ := c.Get(key(string(rune(0)))); e != nil {
		t.Error("Trim kept the oldest entry")
	}
}

func TestExplain(t *testing.T) {
	last := Manifest{"file:a.go": "1", "file:b.go": "2", "env:GOFLAGS": ""}
	now := Manifest{"file:a.go": "9", "file:c.go": "3", "env:GOFLAGS": ""}
	if got := Explain(last, now); got != "file:a.go changed; file:c.go added; file:b.go removed" {
		t.Errorf("Explain = %q", got)
	}
	if got := Explain(nil, now); got != "no earlier successful run" {
		t.Errorf("Explain(nil) = %q", got)
	}
}

func TestHasher(t *testing.T) {
	c, _ := Open(t.TempDir(), 0)
	dir := t.TempDir()
	f := filepath.Join(dir, "a.go")
	os.WriteFile(f, []byte("package a\n"), 0o644)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(f, old, old)

	h := c.Hasher(dir)
	h1, err := h.Hash(f)
	if err != nil || h1 != sha256.Sum256([]byte("package a\n")) {
		t.Fatalf("Hash = %x, %v", h1, err)
	}
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}
	// A new run: the stat answers, nothing is read.
	h = c.Hasher(dir)
	if h2, _ := h.Hash(f); h2 != h1 || h.Reads() != 0 {
		t.Errorf("unchanged file: read %d times", h.Reads())
	}
	// Same size, same modification time, new content: the change time and
	// the inode give it away.
	os.Remove(f)
	os.WriteFile(f, []byte("package b\n"), 0o644)
	os.Chtimes(f, old, old)
	h = c.Hasher(dir) // a new run
	if h3, _ := h.Hash(f); h3 != sha256.Sum256([]byte("package b\n")) {
		t.Error("a rewritten file with the same size and time kept its old hash")
	}
	// A file written just now is racy: read again by the next run.
	g := filepath.Join(dir, "b.go")
	os.WriteFile(g, []byte("x"), 0o644)
	h.Hash(g)
	h.Save()
	h = c.Hasher(dir)
	h.Hash(g)
	if h.Reads() != 1 {
		t.Error("a racy file was answered from its stat")
	}
}

func TestHashHeader(t *testing.T) {
	c, _ := Open(t.TempDir(), 0)
	dir := t.TempDir()
	f := filepath.Join(dir, "a.go")
	write := func(src string) [sha256.Size]byte {
		os.WriteFile(f, []byte(src), 0o644)
		h, err := c.Hasher(dir).HashHeader(f)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := write("//go:build linux\n\npackage a\n\nimport \"fmt\"\n\nfunc F() { fmt.Println(1) }\n")
	if write("//go:build linux\n\npackage a\n\nimport \"fmt\"\n\nfunc F() { fmt.Println(2) }\n// more\n") != base {
		t.Error("a change after the imports changed the header")
	}
	for name, src := range map[string]string{
		"import":     "//go:build linux\n\npackage a\n\nimport \"os\"\n\nfunc F() { os.Exit(1) }\n",
		"constraint": "//go:build darwin\n\npackage a\n\nimport \"fmt\"\n\nfunc F() { fmt.Println(1) }\n",
		"package":    "//go:build linux\n\npackage b\n\nimport \"fmt\"\n\nfunc F() { fmt.Println(1) }\n",
	} {
		if write(src) == base {
			t.Errorf("a change of the %s kept the header", name)
		}
	}
}

func TestStatsRoundTrip(t *testing.T) {
	m := map[string]statEntry{
		"/a/b.go": {Size: 10, ModNs: -5, ChangeNs: 1 << 60, Stamp: 7, Ino: 42, Hash: sha256.Sum256([]byte("x")), Header: sha256.Sum256([]byte("h")), HasHeader: true, Embeds: true, Imports: []string{"fmt", "example.com/x"}},
		"/c":      {Size: 0, Hash: sha256.Sum256([]byte("y"))},
	}
	b := encodeStats(m)
	got, ok := decodeStats(b)
	if !ok || !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip: %v %+v", ok, got)
	}
	flipped := append([]byte{}, b...)
	flipped[len(statMagic)+12] ^= 1
	for _, bad := range [][]byte{nil, b[:len(b)-1], append(append([]byte{}, b...), 0), []byte("hackless-stat-v0\n"), flipped} {
		if _, ok := decodeStats(bad); ok {
			t.Errorf("decodeStats accepted %d damaged bytes", len(bad))
		}
	}
}

func TestUnchanged(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.go")
	os.WriteFile(f, []byte("package a\n"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(f, old, old)
	c, _ := Open(t.TempDir(), 0)
	h := c.Hasher(dir)
	if h.Unchanged(f) {
		t.Fatal("a file not hashed in this run counts as unchanged")
	}
	h.Hash(f)
	if !h.Unchanged(f) {
		t.Fatal("an untouched file counts as changed")
	}
	// Written and restored to the same content and times: the change
	// time still tells.
	os.WriteFile(f, []byte("package b\n"), 0o644)
	os.WriteFile(f, []byte("package a\n"), 0o644)
	os.Chtimes(f, old, old)
	if h.Unchanged(f) {
		t.Error("a file written and restored counts as unchanged")
	}
}

func TestGoInfo(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.go")
	os.WriteFile(f, []byte("package a\n\nimport (\n\t\"embed\"\n\tx \"example.com/x\"\n)\n\n//go:embed data.txt\nvar s string\n"), 0o644)
	c, _ := Open(t.TempDir(), 0)
	imports, embeds, err := c.Hasher(dir).GoInfo(f)
	if err != nil || !embeds || !reflect.DeepEqual(imports, []string{"embed", "example.com/x"}) {
		t.Errorf("GoInfo = %q, %v, %v", imports, embeds, err)
	}
}

// TestMaintenanceIsThrottled: a hit refreshes an entry's time only when
// it is an hour old, and the directory is trimmed at most once a day.
func TestMaintenanceIsThrottled(t *testing.T) {
	c, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var k Key
	if err := c.Put(k, &Entry{Step: "s"}); err != nil {
		t.Fatal(err)
	}
	p := c.entryPath(k)
	for _, tc := range []struct {
		age     time.Duration
		touched bool
	}{{30 * time.Minute, false}, {2 * time.Hour, true}} {
		old := time.Now().Add(-tc.age)
		os.Chtimes(p, old, old)
		if e, err := c.Get(k); e == nil || err != nil {
			t.Fatalf("Get: %v, %v", e, err)
		}
		fi, _ := os.Stat(p)
		if touched := fi.ModTime().After(old.Add(time.Second)); touched != tc.touched {
			t.Errorf("entry %v old: touched %v, want %v", tc.age, touched, tc.touched)
		}
	}
	now := time.Now()
	for _, tc := range []struct {
		at   time.Duration
		trim bool
	}{{0, true}, {time.Hour, false}, {23 * time.Hour, false}, {25 * time.Hour, true}, {26 * time.Hour, false}} {
		trimmed, err := c.MaybeTrim(now.Add(tc.at))
		if err != nil || trimmed != tc.trim {
			t.Errorf("MaybeTrim at +%v: %v, %v; want %v", tc.at, trimmed, err, tc.trim)
		}
	}
}

// TestSharedReads: the reads of many entries are stored once and given
// back whole; an entry whose read set is gone is a miss, never a pass
// without its reads.
func TestSharedReads(t *testing.T) {
	c, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var reads []Read
	for i := range 6 {
		reads = append(reads, Read{Kind: "stat", Name: fmt.Sprintf("f%d", i), Sum: "absent"})
	}
	for i := range 3 {
		if err := c.Put(Key{byte(i)}, &Entry{Step: "vet", Package: fmt.Sprint(i), Reads: reads}); err != nil {
			t.Fatal(err)
		}
	}
	if sets, _ := os.ReadDir(filepath.Join(c.Dir(), "reads")); len(sets) != 1 {
		t.Fatalf("%d read sets stored, want 1", len(sets))
	}
	fresh, _ := Open(c.Dir(), 0) // another process
	e, err := fresh.Get(Key{1})
	if err != nil || e == nil || !slices.Equal(e.Reads, reads) || e.ReadsID != "" {
		t.Fatalf("Get = %+v, %v; want the entry with its six reads", e, err)
	}
	sets, _ := os.ReadDir(filepath.Join(c.Dir(), "reads"))
	os.Remove(filepath.Join(c.Dir(), "reads", sets[0].Name()))
	again, _ := Open(c.Dir(), 0)
	if e, err := again.Get(Key{2}); e != nil || err != nil {
		t.Errorf("an entry whose read set is gone: Get = %+v, %v; want a miss", e, err)
	}
}
