// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package cache stores the results of steps that passed, keyed by a hash
// of everything they read, in a directory shared by every workspace of a
// user (os.UserCacheDir()/hackless). Entries carry a checksum: a corrupt or
// truncated entry reads as a miss, never as a pass. The entries are kept
// under a size bound by removing the least recently used; the programs
// built into the same directory (bin/, tools/) are kept by last use
// instead, by the rules this package holds for every file hackless keeps
// that way (MarkUsed, UnusedFor), which are the go command's.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
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
	Package  string `json:",omitempty"`
	Duration time.Duration
	Notes    []string `json:",omitempty"`
	// Reads are what the step read beyond its key's inputs (a file named
	// by a variable, a directory listing, a variable); the entry serves
	// only while every one of them still holds.
	Reads []Read `json:",omitempty"`
	// ReadsID names, in the local cache, a set of reads kept once for
	// every entry that has it (the passes of a package-scoped step all
	// carry its pass's reads): Put stores Reads so, Get restores them.
	ReadsID string `json:",omitempty"`

	// Remote is set on an entry that came from a remote cache in this
	// run; it is never stored.
	Remote bool `json:"-"`
}

// A Read is one thing a step read, and what it found: Kind "file" (Sum
// the SHA-256 of the content or "absent"), "dir" (the SHA-256 of the
// listing), "stat" ("file", "dir" or "absent") or "env" (Name a variable,
// Sum its value). A path is root-relative inside the workspace, starts
// with $GOMODCACHE/ inside the module cache, and is absolute elsewhere,
// so that an entry serves every clone and machine where it holds.
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

	mu    sync.Mutex
	reads map[string][]Read // read sets by ReadsID, loaded or stored in this process
}

// Open opens (creating) the cache in dir.
func Open(dir string, maxBytes int64) (*Cache, error) {
	for _, sub := range []string{"entries", "last", "stat", "reads"} {
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

// The go command's rules for keeping its build cache, which hackless
// keeps its own files by (step entries, the programs it builds, compiled
// magefiles, the remote build cache's local copies): a use marks a file
// at most every MarkEvery, so that a hit writes nothing most of the time;
// maintenance walks a directory at most every TrimEvery; a file unused for
// UnusedFor may go.
const (
	MarkEvery = time.Hour
	TrimEvery = 24 * time.Hour
	UnusedFor = 5 * 24 * time.Hour
)

// MarkUsed records a use at now of the file at path, whose FileInfo is
// fi: it sets the file's modification time to now when the mark is older
// than MarkEvery. A mark that fails only ages the file.
func MarkUsed(path string, fi fs.FileInfo, now time.Time) {
	if now.Sub(fi.ModTime()) > MarkEvery {
		os.Chtimes(path, now, now)
	}
}

// TrimDue reports whether maintenance that records its time in the file
// stamp last ran TrimEvery before now or longer ago, and if so records
// now. Processes sharing the directory may race on it: at worst two trim
// at once.
func TrimDue(stamp string, now time.Time) (bool, error) {
	if data, err := os.ReadFile(stamp); err == nil {
		var last int64
		if _, err := fmt.Sscan(string(data), &last); err == nil && now.Sub(time.Unix(last, 0)) < TrimEvery {
			return false, nil
		}
	}
	if _, err := atomicfile.Write(stamp, fmt.Appendf(nil, "%d\n", now.Unix()), 0o644); err != nil {
		return false, err
	}
	return true, nil
}

// Get returns the entry for k, or nil on a miss. A corrupt entry is removed
// and reported as ErrCorrupt, and is never a hit. A hit refreshes the
// entry's time for eviction when it is more than an hour old.
func (c *Cache) Get(k Key) (*Entry, error) {
	p := c.entryPath(k)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	var e Entry
	if err := decodeChecked(p, data, &e); err != nil {
		os.Remove(p)
		return nil, err
	}
	if e.ReadsID != "" {
		if e.Reads = c.readSet(e.ReadsID); e.Reads == nil {
			return nil, nil // its reads were trimmed: a miss
		}
		e.ReadsID = ""
	}
	MarkUsed(p, fi, time.Now())
	return &e, nil
}

// Put stores e under k. Reads of more than a few entries go to a set of
// their own, stored once for every entry that has the same.
func (c *Cache) Put(k Key, e *Entry) error {
	if len(e.Reads) <= sharedReads {
		return writeChecked(c.entryPath(k), e)
	}
	data, err := json.Marshal(e.Reads)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:16])
	c.mu.Lock()
	_, stored := c.reads[id]
	c.mu.Unlock()
	p := filepath.Join(c.dir, "reads", id)
	if fi, err := os.Stat(p); !stored || err != nil {
		if err := writeChecked(p, e.Reads); err != nil {
			return err
		}
		c.remember(id, e.Reads)
	} else {
		MarkUsed(p, fi, time.Now())
	}
	compact := *e
	compact.Reads, compact.ReadsID = nil, id
	return writeChecked(c.entryPath(k), &compact)
}

// sharedReads is the most reads an entry holds itself.
const sharedReads = 4

// readSet returns the set of reads stored as id, or nil when it is gone
// or corrupt; each set is read once per process.
func (c *Cache) readSet(id string) []Read {
	c.mu.Lock()
	rs, ok := c.reads[id]
	c.mu.Unlock()
	if ok {
		return rs
	}
	p := filepath.Join(c.dir, "reads", id)
	if err := readChecked(p, &rs); err != nil || rs == nil {
		if !errors.Is(err, fs.ErrNotExist) {
			os.Remove(p)
		}
		return nil
	}
	if fi, err := os.Stat(p); err == nil {
		MarkUsed(p, fi, time.Now())
	}
	c.remember(id, rs)
	return rs
}

func (c *Cache) remember(id string, rs []Read) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reads == nil {
		c.reads = make(map[string][]Read)
	}
	c.reads[id] = rs
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
	// Not synced: readChecked treats a torn entry as corrupt, a miss.
	return atomicfile.WriteUnsynced(path, out, 0o644)
}

// readChecked reads what writeChecked wrote, verifying the checksum.
func readChecked(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return decodeChecked(path, data, v)
}

// decodeChecked decodes what writeChecked wrote to path, verifying the
// checksum.
func decodeChecked(path string, data []byte, v any) error {
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

// MaybeTrim trims the cache when it was last trimmed a day ago or more,
// recording the time in the file trim.txt; it reports whether it trimmed.
// Processes that share the directory may race on it: at worst two trim at
// once, and each removal is one file.
func (c *Cache) MaybeTrim(now time.Time) (bool, error) {
	if due, err := TrimDue(filepath.Join(c.dir, "trim.txt"), now); !due || err != nil {
		return false, err
	}
	return true, c.Trim()
}

// programDirs are the subdirectories of a cache directory that hold
// programs built for it rather than cache entries: bin, the launcher's
// compiled magefiles, and tools, the programs steps build. Trim leaves
// them alone: a program costs minutes to build again where an entry costs
// one step's run, and one program (golangci-lint is some 70 MB) can be
// bigger than a tenth of the bound. Their owners remove the programs that
// have gone unused for days, and mark the ones they start.
var programDirs = []string{"bin", "tools"}

// Trim removes the least recently used entries until the cache directory,
// apart from the programs in its bin and tools subdirectories, is within
// its bound.
func (c *Cache) Trim() error {
	type file struct {
		path string
		size int64
		mod  time.Time
	}
	var files []file
	var total int64
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if slices.Contains(programDirs, d.Name()) && p == filepath.Join(c.dir, d.Name()) {
				return filepath.SkipDir
			}
			return nil
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
		if err := os.Remove(f.path); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= f.size // another process may have removed it first
		}
	}
	return nil
}
