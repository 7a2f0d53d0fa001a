// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package remotetest

import (
	"io"
	"net/http"
	"strings"
	"sync"
)

// Memory is a cache server in memory that speaks bazel-remote's HTTP
// protocol (PUT and GET on /ac/… and /cas/…) without checking what it
// stores, for unit tests that need no real server.
type Memory struct {
	mu      sync.Mutex
	Entries map[string][]byte // by URL path
	hits    map[string]int    // GETs that found something, by store
}

// NewMemory returns an empty server.
func NewMemory() *Memory {
	return &Memory{Entries: map[string][]byte{}, hits: map[string]int{}}
}

func (s *Memory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		s.Entries[r.URL.Path], _ = io.ReadAll(r.Body)
	case http.MethodGet:
		b, ok := s.Entries[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		s.hits[strings.Split(r.URL.Path, "/")[1]]++
		w.Write(b)
	}
}

// Edit changes what the server holds, under its lock.
func (s *Memory) Edit(f func(entries map[string][]byte)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.Entries)
}

// Len returns how many entries it holds.
func (s *Memory) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.Entries)
}

// Hits returns how many GETs found something in a store ("ac" or "cas").
func (s *Memory) Hits(store string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[store]
}
