// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Hasher hashes files and remembers, per workspace, each file's stat
// (size, modification and change time, inode) with its hash, as git's
// index does: a file whose stat has not changed is not read again. A file
// modified within a second of being hashed is always read again, since
// its time stamp cannot tell a later write apart (git's "racy" files).
type Hasher struct {
	path string

	mu      sync.Mutex
	entries map[string]statEntry
	checked map[string]bool // entries confirmed by stat in this run
	links   map[string]bool // the paths found to be symbolic links in this run
	dirty   bool
	reads   int
}

type statEntry struct {
	Size, ModNs, ChangeNs int64
	Ino                   uint64
	Stamp                 int64 // when the hash was taken, in Unix nanoseconds
	Hash                  [sha256.Size]byte
	// Header is the hash of a Go file's header (see HashHeader), when
	// HasHeader; Imports are the paths it imports and Embeds says whether
	// the file has a //go:embed directive.
	Header    [sha256.Size]byte
	HasHeader bool
	Embeds    bool
	Imports   []string
}

// Hasher returns the hasher of the workspace at root, loading what earlier
// runs recorded. An unreadable record starts empty.
func (c *Cache) Hasher(root string) *Hasher {
	sum := sha256.Sum256([]byte(root))
	h := &Hasher{path: filepath.Join(c.dir, "stat", hex.EncodeToString(sum[:16])), entries: make(map[string]statEntry), checked: make(map[string]bool), links: make(map[string]bool)}
	if data, err := os.ReadFile(h.path); err == nil {
		if m, ok := decodeStats(data); ok {
			h.entries = m
		}
	}
	return h
}

// A Stamp identifies a version of a file by what a stat says: size,
// modification and change time, inode. Any write changes it, even one
// that restores the old content.
type Stamp struct {
	Size, ModNs, ChangeNs int64
	Ino                   uint64
}

// StampOf returns the stamp of a file's stat.
func StampOf(fi os.FileInfo) Stamp {
	e := statOf(fi)
	return Stamp{e.Size, e.ModNs, e.ChangeNs, e.Ino}
}

// Hash returns the SHA-256 of the file at path.
func (h *Hasher) Hash(path string) ([sha256.Size]byte, error) {
	e, err := h.entry(path, false)
	return e.Hash, err
}

// Symlink reports whether the path was a symbolic link when this run
// hashed it; known is false for a path not hashed in this run.
func (h *Hasher) Symlink(path string) (link, known bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.links[path], h.checked[path]
}

// HashHeader returns the SHA-256 of a Go file's header: everything up to
// the end of its import declarations (build constraints, package clause,
// cgo preamble, imports). What a file imports can change only when its
// header does. A file that does not parse counts whole.
func (h *Hasher) HashHeader(path string) ([sha256.Size]byte, error) {
	e, err := h.entry(path, true)
	return e.Header, err
}

func (h *Hasher) entry(path string, header bool) (statEntry, error) {
	h.mu.Lock()
	if e, ok := h.entries[path]; ok && h.checked[path] && (e.HasHeader || !header) {
		h.mu.Unlock()
		return e, nil
	}
	h.mu.Unlock()
	fi, err := os.Lstat(path)
	if err == nil && fi.Mode()&os.ModeSymlink != 0 {
		h.mu.Lock()
		h.links[path] = true
		h.mu.Unlock()
		fi, err = os.Stat(path)
	}
	if err != nil {
		return statEntry{}, err
	}
	st := statOf(fi)
	h.mu.Lock()
	e, ok := h.entries[path]
	h.mu.Unlock()
	if ok && e.Size == st.Size && e.ModNs == st.ModNs && e.ChangeNs == st.ChangeNs && e.Ino == st.Ino &&
		e.Stamp-st.ModNs > int64(time.Second) && (e.HasHeader || !header) {
		h.mu.Lock()
		h.checked[path] = true
		h.mu.Unlock()
		return e, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return statEntry{}, err
	}
	st.Hash = sha256.Sum256(data)
	if header || strings.HasSuffix(path, ".go") {
		head, imports := goHeader(path, data)
		st.Header, st.HasHeader = sha256.Sum256(head), true
		st.Imports = imports
		st.Embeds = bytes.Contains(data, []byte("//go:embed"))
	}
	st.Stamp = time.Now().UnixNano()
	h.mu.Lock()
	h.entries[path] = st
	h.checked[path] = true
	h.dirty = true
	h.reads++
	h.mu.Unlock()
	return st, nil
}

// GoInfo returns what a Go file imports and whether it has a //go:embed
// directive, from the same read as its hash. A file that does not parse
// imports nothing that can be known.
func (h *Hasher) GoInfo(path string) (imports []string, embeds bool, err error) {
	e, err := h.entry(path, true)
	return e.Imports, e.Embeds, err
}

// Unchanged reports whether the file at path is as it was when this run
// hashed it: same size, times and inode, and for a file written within a
// second of its hash (whose time stamps cannot tell a later write apart),
// the same content. A file not hashed in this run, or gone, has changed.
func (h *Hasher) Unchanged(path string) bool {
	h.mu.Lock()
	e, ok := h.entries[path]
	ok = ok && h.checked[path]
	h.mu.Unlock()
	if !ok {
		return false
	}
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	st := statOf(fi)
	if e.Size != st.Size || e.ModNs != st.ModNs || e.ChangeNs != st.ChangeNs || e.Ino != st.Ino {
		return false
	}
	if time.Now().UnixNano()-st.ModNs > int64(time.Second) && e.Stamp-st.ModNs > int64(time.Second) {
		return true
	}
	data, err := os.ReadFile(path)
	return err == nil && sha256.Sum256(data) == e.Hash
}

// goHeader returns src up to the end of its import declarations, and the
// paths it imports.
func goHeader(name string, src []byte) ([]byte, []string) {
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return src, nil
	}
	end := int(f.Name.End()) - 1
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			end = max(end, int(gd.End())-1)
		}
	}
	var imports []string
	for _, is := range f.Imports {
		if p, err := strconv.Unquote(is.Path.Value); err == nil {
			imports = append(imports, p)
		}
	}
	return src[:min(end, len(src))], imports
}

// Reads returns how many files were read (not answered from their stat).
func (h *Hasher) Reads() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.reads
}

// Forget drops the records of files that no longer exist.
func (h *Hasher) Forget(keep func(path string) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for p := range h.entries {
		if !keep(p) {
			delete(h.entries, p)
			h.dirty = true
		}
	}
}

// Save writes the records for the next run.
func (h *Hasher) Save() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.dirty {
		return nil
	}
	b := encodeStats(h.entries)
	dir, base := filepath.Split(h.path)
	tmp, err := os.CreateTemp(dir, base+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), h.path); err != nil {
		return err
	}
	h.dirty = false
	return nil
}

// statMagic starts a stat record; a record that does not start with it,
// is cut short or fails the SHA-256 that ends it reads as empty.
const statMagic = "hackless-stat-v2\n"

// encodeStats writes the records compactly: gob took a tenth of a no-op
// run on 10,000 files.
func encodeStats(m map[string]statEntry) []byte {
	b := make([]byte, 0, len(statMagic)+len(m)*160)
	b = append(b, statMagic...)
	b = binary.AppendUvarint(b, uint64(len(m)))
	for p, e := range m {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
		for _, v := range []int64{e.Size, e.ModNs, e.ChangeNs, e.Stamp} {
			b = binary.AppendVarint(b, v)
		}
		b = binary.AppendUvarint(b, e.Ino)
		b = append(b, e.Hash[:]...)
		if e.HasHeader {
			flags := byte(1)
			if e.Embeds {
				flags |= 2
			}
			b = append(b, flags)
			b = append(b, e.Header[:]...)
			b = binary.AppendUvarint(b, uint64(len(e.Imports)))
			for _, imp := range e.Imports {
				b = binary.AppendUvarint(b, uint64(len(imp)))
				b = append(b, imp...)
			}
		} else {
			b = append(b, 0)
		}
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

func decodeStats(b []byte) (map[string]statEntry, bool) {
	if !bytes.HasPrefix(b, []byte(statMagic)) || len(b) < len(statMagic)+sha256.Size {
		return nil, false
	}
	body := b[:len(b)-sha256.Size]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], b[len(body):]) {
		return nil, false
	}
	b = body[len(statMagic):]
	uvarint := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	varint := func() (int64, bool) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	count, ok := uvarint()
	if !ok || count > uint64(len(b)) {
		return nil, false
	}
	m := make(map[string]statEntry, count)
	for range count {
		l, ok := uvarint()
		if !ok || l > uint64(len(b)) {
			return nil, false
		}
		p := string(b[:l])
		b = b[l:]
		var e statEntry
		for _, dst := range []*int64{&e.Size, &e.ModNs, &e.ChangeNs, &e.Stamp} {
			if *dst, ok = varint(); !ok {
				return nil, false
			}
		}
		if e.Ino, ok = uvarint(); !ok || len(b) < sha256.Size+1 {
			return nil, false
		}
		copy(e.Hash[:], b)
		flags := b[sha256.Size]
		e.HasHeader, e.Embeds = flags&1 != 0, flags&2 != 0
		b = b[sha256.Size+1:]
		if e.HasHeader {
			if len(b) < sha256.Size {
				return nil, false
			}
			copy(e.Header[:], b)
			b = b[sha256.Size:]
			n, ok := uvarint()
			if !ok || n > uint64(len(b)) {
				return nil, false
			}
			for range n {
				l, ok := uvarint()
				if !ok || l > uint64(len(b)) {
					return nil, false
				}
				e.Imports = append(e.Imports, string(b[:l]))
				b = b[l:]
			}
		}
		m[p] = e
	}
	return m, len(b) == 0
}
