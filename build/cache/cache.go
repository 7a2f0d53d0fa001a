// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package cache stores the results of steps that passed, keyed by a hash
// of everything they read, in a directory shared by every workspace of a
// user (os.UserCacheDir()/hackless). Entries carry a checksum: a corrupt or
// truncated entry reads as a miss, never as a pass. The directory is kept
// under a size bound by removing the least recently used entries.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hackless/hackless/internal/atomicfile"
)

// Key identifies a step's inputs.
type Key [sha256.Size]byte

func (k Key) String() string { return hex.EncodeToString(k[:]) }

// Entry is a cached pass.
type Entry struct {
	Step     string
	Module   string `json:",omitempty"`
	Duration time.Duration
	Notes    []string `json:",omitempty"`
	// Reads are what the step read beyond its key's inputs (a file named
	// by a variable, a directory listing, a variable); the entry serves
	// only while every one of them still holds.
	Reads []Read `json:",omitempty"`
}

// A Read is one thing a step read, and what it found: Kind "file" (Name
// an absolute path, Sum the SHA-256 of the content or "absent"), "dir"
// (the SHA-256 of the listing), "stat" ("file", "dir" or "absent") or
// "env" (Sum the value).
type Read struct {
	Kind, Name, Sum string
}

// ErrCorrupt reports an entry that failed its checksum; it was removed.
var ErrCorrupt = errors.New("corrupt cache entry")

// DefaultMaxBytes bounds the cache directory.
const DefaultMaxBytes = 256 << 20

// Cache is a cache directory.
type Cache struct {
	dir      string
	maxBytes int64
}

// Open opens (creating) the cache in dir.
func Open(dir string, maxBytes int64) (*Cache, error) {
	for _, sub := range []string{"entries", "last", "stat"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Cache{dir: dir, maxBytes: maxBytes}, nil
}

// Dir returns the cache directory.
func (c *Cache) Dir() string { return c.dir }

const header = "hackless-cache-v2 "

func (c *Cache) entryPath(k Key) string {
	s := k.String()
	return filepath.Join(c.dir, "entries", s[:2], s)
}

// Get returns the entry for k, or nil on a miss. A corrupt entry is removed
// and reported as ErrCorrupt, and is never a hit. A hit refreshes the
// entry's time for eviction.
func (c *Cache) Get(k Key) (*Entry, error) {
	p := c.entryPath(k)
	var e Entry
	if err := readChecked(p, &e); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		os.Remove(p)
		return nil, err
	}
	now := time.Now()
	os.Chtimes(p, now, now)
	return &e, nil
}

// Put stores e under k.
func (c *Cache) Put(k Key, e *Entry) error {
	return writeChecked(c.entryPath(k), e)
}

// Manifest records what a step read, input by input, so that a miss can
// be explained.
type Manifest map[string]string

// SetLast records the manifest of the latest successful run of a step (in
// a workspace, for a module).
func (c *Cache) SetLast(id string, m Manifest) error {
	return writeChecked(c.lastPath(id), m)
}

// Last returns the manifest SetLast recorded, or nil.
func (c *Cache) Last(id string) Manifest {
	var m Manifest
	if readChecked(c.lastPath(id), &m) != nil {
		return nil
	}
	return m
}

func (c *Cache) lastPath(id string) string {
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(c.dir, "last", hex.EncodeToString(sum[:16]))
}

// Explain says what differs between the manifest of the last successful
// run and now, in a few words.
func Explain(last, now Manifest) string {
	if last == nil {
		return "no earlier successful run"
	}
	var changed, added, removed []string
	for k, v := range now {
		switch lv, ok := last[k]; {
		case !ok:
			added = append(added, k)
		case lv != v:
			changed = append(changed, k)
		}
	}
	for k := range last {
		if _, ok := now[k]; !ok {
			removed = append(removed, k)
		}
	}
	var parts []string
	for _, g := range []struct {
		what  string
		items []string
	}{{"changed", changed}, {"added", added}, {"removed", removed}} {
		if len(g.items) == 0 {
			continue
		}
		slices.Sort(g.items)
		s := g.items[0]
		if len(g.items) > 1 {
			s += fmt.Sprintf(" and %d more", len(g.items)-1)
		}
		parts = append(parts, s+" "+g.what)
	}
	if len(parts) == 0 {
		return "inputs unchanged since the last successful run (its entry was evicted or corrupt)"
	}
	return joinWords(parts)
}

func joinWords(p []string) string {
	out := p[0]
	for _, s := range p[1:] {
		out += "; " + s
	}
	return out
}

// writeChecked writes v as JSON behind a header with its SHA-256.
func writeChecked(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	out := append([]byte(header+hex.EncodeToString(sum[:])+"\n"), data...)
	_, err = atomicfile.Write(path, out, 0o644)
	return err
}

// readChecked reads what writeChecked wrote, verifying the checksum.
func readChecked(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	line, body, ok := bytes.Cut(data, []byte("\n"))
	if !ok || !bytes.HasPrefix(line, []byte(header)) {
		return fmt.Errorf("%w: %s: no header", ErrCorrupt, path)
	}
	want, err := hex.DecodeString(string(line[len(header):]))
	sum := sha256.Sum256(body)
	if err != nil || !bytes.Equal(want, sum[:]) {
		return fmt.Errorf("%w: %s: checksum mismatch", ErrCorrupt, path)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	return nil
}

// Trim removes the least recently used entries until the cache directory
// is within its bound.
func (c *Cache) Trim() error {
	type file struct {
		path string
		size int64
		mod  time.Time
	}
	var files []file
	var total int64
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		files = append(files, file{p, info.Size(), info.ModTime()})
		total += info.Size()
		return nil
	})
	if err != nil || total <= c.maxBytes {
		return err
	}
	slices.SortFunc(files, func(a, b file) int { return a.mod.Compare(b.mod) })
	for _, f := range files {
		if total <= c.maxBytes*9/10 {
			break
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
	return nil
}
