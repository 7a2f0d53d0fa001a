// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

// Package remotetest runs a real bazel-remote server for the tests and
// benchmarks of the remote cache.
package remotetest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hackless/hackless/internal/testws"
)

// Server is a bazel-remote server on loopback, built from the version
// tools/go.mod pins.
type Server struct {
	URL, Dir string
	cmd      *exec.Cmd
	mu       sync.Mutex
	requests []string // "GET /ac/…" lines of its access log
}

// Start starts a server on dir ("" for a new one), on a
// free port.
func Start(t testing.TB, dir string) *Server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	build := exec.Command("go", "tool", "-modfile=tools/go.mod", "-n", "bazel-remote")
	build.Dir = testws.Checkout()
	// GOTOOLCHAIN=local: the server is the same program whichever Go
	// release the tests run under, built once.
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	out, err := build.Output()
	if err != nil {
		t.Fatalf("build bazel-remote: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &Server{URL: "http://" + addr, Dir: dir}
	s.cmd = exec.Command(strings.TrimSpace(string(out)), "--dir", s.Dir, "--max_size", "1",
		"--http_address", addr, "--grpc_address", "none", "--access_log_level", "all")
	logs, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			if line := sc.Text(); strings.Contains(line, " /ac/") || strings.Contains(line, " /cas/") {
				s.mu.Lock()
				s.requests = append(s.requests, line)
				s.mu.Unlock()
			}
		}
		io.Copy(io.Discard, logs)
	}()
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(s.URL + "/ac/" + strings.Repeat("0", 64))
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bazel-remote did not start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s
}

// Kill stops the server at once.
func (s *Server) Kill() {
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

// Requests returns how many requests of a method it served under a path
// prefix (/ac/ when none is given) that succeeded.
func (s *Server) Requests(method string, prefix ...string) int {
	p := "/ac/"
	if len(prefix) > 0 {
		p = prefix[0]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		// 2026/12/05 13:26:01  PUT 200       127.0.0.1 /ac/6ab9…
		if f := strings.Fields(r); len(f) == 6 && f[2] == method && f[3] == "200" && strings.HasPrefix(f[5], p) {
			n++
		}
	}
	return n
}
