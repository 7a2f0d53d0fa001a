// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package gocache serves the go command's build cache through the remote
// cache, so that a fresh clone or CI job starts with the compiled export
// data and objects another machine built: it implements the GOCACHEPROG
// protocol of the go command (Go 1.24 and later; see cmd/go/internal/
// cacheprog), keeps outputs in a local directory, and fetches from and
// stores in a bazel-remote server what the directory lacks.
//
// Outputs go to the server's content store under their SHA-256 (the go
// command's output ID), and the action cache maps a hash of the go
// command's action ID to the output ID and size. An output that does not
// hash to its ID, or an entry stored under another action, is a miss.
// A server that fails is left alone for the rest of the run: the first
// failure writes a marker file that every go command of the run reads.
package gocache

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hackless/hackless/build/cache"
	"github.com/hackless/hackless/internal/atomicfile"
)

// Config says where the outputs are kept and shared.
type Config struct {
	Dir      string        // the local directory
	Remote   *cache.Remote // nil: the local directory only
	DownFile string        // marks a remote that failed in this run; "" for none
}

type request struct {
	ID       int64
	Command  string
	ActionID []byte `json:",omitempty"`
	OutputID []byte `json:",omitempty"`
	BodySize int64  `json:",omitempty"`
}

type response struct {
	ID            int64
	Err           string     `json:",omitempty"`
	KnownCommands []string   `json:",omitempty"`
	Miss          bool       `json:",omitempty"`
	OutputID      []byte     `json:",omitempty"`
	Size          int64      `json:",omitempty"`
	Time          *time.Time `json:",omitempty"`
	DiskPath      string     `json:",omitempty"`
}

// server is one go command's cache program.
type server struct {
	cfg Config

	outMu sync.Mutex
	enc   *json.Encoder

	uploads sync.WaitGroup
	slots   chan struct{} // bounds the uploads in flight
}

// Serve answers the go command's requests from in on out until it sends
// "close" or in ends.
func Serve(ctx context.Context, in io.Reader, out io.Writer, cfg Config) error {
	for _, sub := range []string{"a", "o"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, sub), 0o755); err != nil {
			return err
		}
	}
	s := &server{cfg: cfg, enc: json.NewEncoder(out), slots: make(chan struct{}, 4)}
	s.send(&response{KnownCommands: []string{"get", "put", "close"}})
	dec := json.NewDecoder(bufio.NewReaderSize(in, 64<<10))
	var handlers sync.WaitGroup
	defer handlers.Wait()
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read a request: %w", err)
		}
		switch req.Command {
		case "get":
			handlers.Add(1)
			go func() {
				defer handlers.Done()
				s.send(s.get(ctx, &req))
			}()
		case "put":
			var body []byte
			if req.BodySize > 0 {
				if err := dec.Decode(&body); err != nil {
					return fmt.Errorf("read the body of put %d: %w", req.ID, err)
				}
			}
			handlers.Add(1)
			go func() {
				defer handlers.Done()
				s.send(s.put(ctx, &req, body))
			}()
		case "close":
			handlers.Wait()
			s.uploads.Wait()
			s.trim(time.Now())
			s.send(&response{ID: req.ID})
			return nil
		default:
			s.send(&response{ID: req.ID, Err: "unknown command " + req.Command})
		}
	}
}

func (s *server) send(r *response) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	s.enc.Encode(r)
}

func (s *server) actionPath(id []byte) string {
	h := hex.EncodeToString(id)
	return filepath.Join(s.cfg.Dir, "a", h)
}

func (s *server) outputPath(id []byte) string {
	return filepath.Join(s.cfg.Dir, "o", hex.EncodeToString(id))
}

// An action file holds "<output ID> <size> <unix nanoseconds>".
func (s *server) readAction(id []byte) (out []byte, size int64, t time.Time, ok bool) {
	data, err := os.ReadFile(s.actionPath(id))
	if err != nil {
		return nil, 0, t, false
	}
	f := strings.Fields(string(data))
	if len(f) != 3 {
		return nil, 0, t, false
	}
	out, err1 := hex.DecodeString(f[0])
	size, err2 := strconv.ParseInt(f[1], 10, 64)
	ns, err3 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, 0, t, false
	}
	return out, size, time.Unix(0, ns), true
}

func (s *server) writeAction(id, out []byte, size int64, t time.Time) error {
	_, err := atomicfile.Write(s.actionPath(id), fmt.Appendf(nil, "%x %d %d\n", out, size, t.UnixNano()), 0o644)
	return err
}

func (s *server) get(ctx context.Context, req *request) *response {
	if out, size, t, ok := s.readAction(req.ActionID); ok {
		p := s.outputPath(out)
		if fi, err := os.Stat(p); err == nil && fi.Size() == size {
			cache.MarkUsed(p, fi, time.Now())
			if fi, err := os.Stat(s.actionPath(req.ActionID)); err == nil {
				cache.MarkUsed(s.actionPath(req.ActionID), fi, time.Now())
			}
			return &response{ID: req.ID, OutputID: out, Size: size, Time: &t, DiskPath: p}
		}
	}
	out, data := s.fetch(ctx, req.ActionID)
	if data == nil {
		return &response{ID: req.ID, Miss: true}
	}
	p := s.outputPath(out)
	if _, err := atomicfile.Write(p, data, 0o644); err != nil {
		return &response{ID: req.ID, Miss: true}
	}
	now := time.Now()
	if err := s.writeAction(req.ActionID, out, int64(len(data)), now); err != nil {
		return &response{ID: req.ID, Miss: true}
	}
	return &response{ID: req.ID, OutputID: out, Size: int64(len(data)), Time: &now, DiskPath: p}
}

// remoteKey is the action cache key of a go command action ID: a hash,
// so that it never names a step's entry.
func remoteKey(action []byte) cache.Key {
	return sha256.Sum256(append([]byte("hackless-gocache\x00"), action...))
}

const remoteHeader = "hackless-gocache-v1"

// fetch returns an action's output ID and output from the remote cache,
// or nil.
func (s *server) fetch(ctx context.Context, action []byte) ([]byte, []byte) {
	if !s.remoteUp() {
		return nil, nil
	}
	raw, err := s.cfg.Remote.GetAction(ctx, remoteKey(action))
	if err != nil || raw == nil {
		s.noteDown()
		return nil, nil
	}
	f := strings.Fields(string(raw))
	if len(f) != 4 || f[0] != remoteHeader || f[1] != hex.EncodeToString(action) {
		return nil, nil // not what was stored under this action
	}
	out, err := hex.DecodeString(f[2])
	size, err2 := strconv.ParseInt(f[3], 10, 64)
	if err != nil || err2 != nil || len(out) != sha256.Size {
		return nil, nil
	}
	data, err := s.cfg.Remote.GetBlob(ctx, cache.Key(out))
	if err != nil || data == nil || int64(len(data)) != size {
		s.noteDown()
		return nil, nil
	}
	return out, data
}

func (s *server) put(ctx context.Context, req *request, body []byte) *response {
	if int64(len(body)) != req.BodySize {
		return &response{ID: req.ID, Err: fmt.Sprintf("body of %d bytes, want %d", len(body), req.BodySize)}
	}
	p := s.outputPath(req.OutputID)
	if fi, err := os.Stat(p); err != nil || fi.Size() != req.BodySize {
		if _, err := atomicfile.Write(p, body, 0o644); err != nil {
			return &response{ID: req.ID, Err: err.Error()}
		}
	}
	if err := s.writeAction(req.ActionID, req.OutputID, req.BodySize, time.Now()); err != nil {
		return &response{ID: req.ID, Err: err.Error()}
	}
	sum := sha256.Sum256(body)
	if s.remoteUp() && !s.cfg.Remote.ReadOnly() && bytes.Equal(sum[:], req.OutputID) {
		s.uploads.Add(1)
		go func() {
			defer s.uploads.Done()
			s.slots <- struct{}{}
			defer func() { <-s.slots }()
			action := req.ActionID
			err := s.cfg.Remote.PutBlob(ctx, body)
			if err == nil {
				err = s.cfg.Remote.PutAction(ctx, remoteKey(action), fmt.Appendf(nil, "%s %x %x %d", remoteHeader, action, req.OutputID, len(body)))
			}
			if err != nil {
				s.noteDown()
			}
		}()
	}
	return &response{ID: req.ID, DiskPath: p}
}

// remoteUp reports whether the remote may be asked: there is one, and no
// go command of the run found it failing.
func (s *server) remoteUp() bool {
	if s.cfg.Remote == nil || s.cfg.Remote.Err() != nil {
		return false
	}
	if s.cfg.DownFile != "" {
		if _, err := os.Stat(s.cfg.DownFile); err == nil {
			return false
		}
	}
	return true
}

// noteDown tells the run's other go commands, and hackless, that the
// remote failed.
func (s *server) noteDown() {
	if err := s.cfg.Remote.Err(); err != nil && s.cfg.DownFile != "" {
		atomicfile.Write(s.cfg.DownFile, []byte(err.Error()+"\n"), 0o644)
	}
}

// trim removes the outputs and actions unused for cache.UnusedFor, at
// most every cache.TrimEvery, as the go command trims its own cache; a
// hit marks what it uses (cache.MarkUsed).
func (s *server) trim(now time.Time) {
	if due, _ := cache.TrimDue(filepath.Join(s.cfg.Dir, "trim.txt"), now); !due {
		return
	}
	for _, sub := range []string{"o", "a"} {
		entries, _ := os.ReadDir(filepath.Join(s.cfg.Dir, sub))
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > cache.UnusedFor {
				os.Remove(filepath.Join(s.cfg.Dir, sub, e.Name()))
			}
		}
	}
}
