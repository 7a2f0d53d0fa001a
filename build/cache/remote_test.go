// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package cache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// acServer is an action cache over HTTP, as bazel-remote serves one: it
// keeps what PUT sends and, as bazel-remote does, appends a field of its
// own to the ActionResult it returns.
type acServer struct {
	mu      sync.Mutex
	entries map[string][]byte
	gets    int
	auth    string        // the Authorization a PUT needs; "" takes any
	delay   time.Duration // before every answer
}

func (s *acServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := strings.CutPrefix(r.URL.Path, "/ac/")
	if !ok || len(key) != 64 {
		http.Error(w, "bad path", http.StatusBadRequest)
		return
	}
	switch r.Method {
	case http.MethodPut:
		if s.auth != "" && r.Header.Get("Authorization") != s.auth {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if _, ok := stdoutRaw(body); !ok {
			http.Error(w, "not an ActionResult", http.StatusBadRequest)
			return
		}
		s.entries[key] = body
	case http.MethodGet:
		s.gets++
		body, ok := s.entries[key]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(append(bytes.Clone(body), 0x4a, 0x03, 0x0a, 0x01, 'x')) // execution_metadata
	}
}

func newServer(t *testing.T) (*acServer, *httptest.Server) {
	s := &acServer{entries: map[string][]byte{}}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

func newRemote(t *testing.T, cfg RemoteConfig) *Remote {
	t.Helper()
	r, err := NewRemote(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func TestRemoteRoundTrip(t *testing.T) {
	srv, ts := newServer(t)
	ctx := context.Background()
	r := newRemote(t, RemoteConfig{URL: ts.URL})
	want := &Entry{Step: "vet", Module: "a", Duration: time.Second, Reads: []Read{{"file", "hack/x", "absent"}}}
	if err := r.Put(ctx, key("a"), want); err != nil {
		t.Fatal(err)
	}
	got, err := r.Get(ctx, key("a"))
	if err != nil || got == nil || got.Step != "vet" || got.Module != "a" || got.Duration != time.Second || len(got.Reads) != 1 {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, want)
	}
	if e, err := r.Get(ctx, key("b")); e != nil || err != nil {
		t.Errorf("Get of a key never stored = %+v, %v; want a miss", e, err)
	}

	// Served under another key, tampered with, cut short, or not an
	// ActionResult: a miss that says why, never a pass; the server that
	// served it is out of the run, and serves nothing more.
	body := srv.entries[key("a").String()]
	tampered := bytes.Replace(body, []byte(`"vet"`), []byte(`"veT"`), 1)
	for name, b := range map[string][]byte{
		"foreign":   body,
		"tampered":  tampered,
		"truncated": body[:len(body)-5],
		"garbage":   []byte("\xff\xff\xff"),
	} {
		r := newRemote(t, RemoteConfig{URL: ts.URL})
		srv.entries[key(name).String()] = b
		e, err := r.Get(ctx, key(name))
		if e != nil || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s entry: Get = %+v, %v; want ErrCorrupt", name, e, err)
		}
		if r.Err() == nil {
			t.Errorf("%s entry: the remote stays in the run", name)
		}
		if e, err := r.Get(ctx, key("a")); e != nil || !errors.Is(err, ErrRemoteDown) {
			t.Errorf("%s entry: the next Get = %+v, %v; want ErrRemoteDown", name, e, err)
		}
	}
}

// TestRemoteSigned: with a signing key, only entries signed with it for
// their key serve; an unsigned entry, one signed with another key, or one
// moved to another key is ErrForged and takes the server out of the run.
// A reader without the key still reads signed entries.
func TestRemoteSigned(t *testing.T) {
	srv, ts := newServer(t)
	ctx := context.Background()
	secret := []byte("the team's secret")
	w := newRemote(t, RemoteConfig{URL: ts.URL, SigningKey: secret})
	if err := w.Put(ctx, key("a"), &Entry{Step: "vet"}); err != nil {
		t.Fatal(err)
	}
	if e, err := newRemote(t, RemoteConfig{URL: ts.URL, SigningKey: secret}).Get(ctx, key("a")); err != nil || e == nil || e.Step != "vet" {
		t.Fatalf("a signed entry: %+v, %v", e, err)
	}
	if e, err := newRemote(t, RemoteConfig{URL: ts.URL}).Get(ctx, key("a")); err != nil || e == nil {
		t.Fatalf("a reader without the key: %+v, %v", e, err)
	}
	unsigned := newRemote(t, RemoteConfig{URL: ts.URL})
	if err := unsigned.Put(ctx, key("u"), &Entry{Step: "vet"}); err != nil {
		t.Fatal(err)
	}
	other := newRemote(t, RemoteConfig{URL: ts.URL, SigningKey: []byte("a guess")})
	if err := other.Put(ctx, key("o"), &Entry{Step: "vet"}); err != nil {
		t.Fatal(err)
	}
	srv.entries[key("m").String()] = srv.entries[key("a").String()] // signed, for another key
	for _, k := range []string{"u", "o", "m"} {
		r := newRemote(t, RemoteConfig{URL: ts.URL, SigningKey: secret})
		if e, err := r.Get(ctx, key(k)); e != nil || !errors.Is(err, ErrForged) && !errors.Is(err, ErrCorrupt) {
			t.Errorf("entry %s: Get = %+v, %v; want ErrForged", k, e, err)
		}
		if r.Err() == nil {
			t.Errorf("entry %s: the remote stays in the run", k)
		}
	}
}

func TestRemoteReadOnly(t *testing.T) {
	srv, ts := newServer(t)
	r := newRemote(t, RemoteConfig{URL: ts.URL, ReadOnly: true})
	if err := r.Put(context.Background(), key("a"), &Entry{Step: "x"}); err != nil {
		t.Fatal(err)
	}
	if len(srv.entries) != 0 {
		t.Errorf("a read-only remote stored %d entries", len(srv.entries))
	}
}

func TestRemoteAuth(t *testing.T) {
	srv, ts := newServer(t)
	srv.auth = "Bearer s3cret"
	ctx := context.Background()
	anon := newRemote(t, RemoteConfig{URL: ts.URL})
	if err := anon.Put(ctx, key("a"), &Entry{Step: "x"}); err == nil {
		t.Fatal("a refused PUT returned no error")
	}
	if anon.Refused() == nil || anon.Err() != nil {
		t.Errorf("after a 401: Refused = %v, Err = %v; want refused writes, reads going on", anon.Refused(), anon.Err())
	}
	if _, err := anon.Get(ctx, key("a")); err != nil {
		t.Errorf("reads stopped after a refused write: %v", err)
	}
	r := newRemote(t, RemoteConfig{URL: ts.URL, Token: "s3cret"})
	if err := r.Put(ctx, key("a"), &Entry{Step: "x"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.String(), "s3cret") {
		t.Errorf("String() shows the token: %s", r)
	}
	basic := newRemote(t, RemoteConfig{URL: strings.Replace(ts.URL, "://", "://me:pw@", 1)})
	if strings.Contains(basic.String(), "pw") {
		t.Errorf("String() shows the password: %s", basic)
	}
}

func TestRemoteDown(t *testing.T) {
	ctx := context.Background()
	t.Run("refused", func(t *testing.T) {
		_, ts := newServer(t)
		url := ts.URL
		ts.Close()
		r := newRemote(t, RemoteConfig{URL: url})
		if _, err := r.Get(ctx, key("a")); !errors.Is(err, ErrRemoteDown) {
			t.Fatalf("Get from a closed server: %v; want ErrRemoteDown", err)
		}
		if r.Err() == nil {
			t.Error("Err() = nil after a failure")
		}
	})
	t.Run("errors", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}))
		defer ts.Close()
		r := newRemote(t, RemoteConfig{URL: ts.URL})
		if _, err := r.Get(ctx, key("a")); !errors.Is(err, ErrRemoteDown) {
			t.Fatalf("Get from a failing server: %v; want ErrRemoteDown", err)
		}
	})
	t.Run("slow", func(t *testing.T) {
		srv, ts := newServer(t)
		srv.delay = 200 * time.Millisecond
		// A budget of 300ms: however many entries are asked for, the
		// server is not asked again once it is spent.
		r := newRemote(t, RemoteConfig{URL: ts.URL, Budget: 300 * time.Millisecond})
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.Get(ctx, key(string(rune('a'+i))))
			}()
		}
		wg.Wait()
		for i := range 20 {
			r.Get(ctx, key(string(rune('A'+i))))
		}
		if r.Err() == nil {
			t.Fatal("a server slower than the budget stayed in the run")
		}
		srv.mu.Lock()
		gets := srv.gets
		srv.mu.Unlock()
		if gets > 20 {
			t.Errorf("the server was asked %d times after the budget was spent", gets-20)
		}
	})
}

func TestNewRemoteRejects(t *testing.T) {
	for _, u := range []string{"", "cache.example.com:9090", "ftp://x", "http://"} {
		if _, err := NewRemote(RemoteConfig{URL: u}); err == nil {
			t.Errorf("NewRemote(%q) accepted it", u)
		}
	}
}
