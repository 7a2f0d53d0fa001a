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
	dirty   bool
	reads   int
}

type statEntry struct {
	Size, ModNs, ChangeNs int64
	Ino                   uint64
	Stamp                 int64 // when the hash was taken, in Unix nanoseconds
	Hash                  [sha256.Size]byte
	// Header is the hash of a Go file's header (see HashHeader), when
	// HasHeader.
	Header    [sha256.Size]byte
	HasHeader bool
}

// Hasher returns the hasher of the workspace at root, loading what earlier
// runs recorded. An unreadable record starts empty.
func (c *Cache) Hasher(root string) *Hasher {
	sum := sha256.Sum256([]byte(root))
	h := &Hasher{path: filepath.Join(c.dir, "stat", hex.EncodeToString(sum[:16])), entries: make(map[string]statEntry), checked: make(map[string]bool)}
	if data, err := os.ReadFile(h.path); err == nil {
		if m, ok := decodeStats(data); ok {
			h.entries = m
		}
	}
	return h
}

// Hash returns the SHA-256 of the file at path.
func (h *Hasher) Hash(path string) ([sha256.Size]byte, error) {
	e, err := h.entry(path, false)
	return e.Hash, err
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
	fi, err := os.Stat(path)
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
		st.Header, st.HasHeader = sha256.Sum256(goHeader(path, data)), true
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

// goHeader returns src up to the end of its import declarations.
func goHeader(name string, src []byte) []byte {
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return src
	}
	end := int(f.Name.End()) - 1
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			end = max(end, int(gd.End())-1)
		}
	}
	return src[:min(end, len(src))]
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
// or is cut short, reads as empty.
const statMagic = "hackless-stat-v1\n"

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
			b = append(b, 1)
			b = append(b, e.Header[:]...)
		} else {
			b = append(b, 0)
		}
	}
	return b
}

func decodeStats(b []byte) (map[string]statEntry, bool) {
	if !bytes.HasPrefix(b, []byte(statMagic)) {
		return nil, false
	}
	b = b[len(statMagic):]
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
		e.HasHeader = b[sha256.Size] == 1
		b = b[sha256.Size+1:]
		if e.HasHeader {
			if len(b) < sha256.Size {
				return nil, false
			}
			copy(e.Header[:], b)
			b = b[sha256.Size:]
		}
		m[p] = e
	}
	return m, len(b) == 0
}
