// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package cache

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Remote is a step cache shared through a server that speaks the HTTP
// protocol of bazel-remote (and of Bazel's other HTTP caches): an entry is
// stored with PUT and fetched with GET on /ac/<key>. The action cache of
// such a server holds REAPI ActionResult messages, so an entry travels as
// the stdout_raw field of one, behind a header that names its key and the
// SHA-256 of its body: an entry that fails the checksum, or that was
// stored under another key, is a miss (ErrCorrupt), never a pass.
//
// A server that fails is not asked again for the rest of the run: the
// first error (a refused connection, a status other than 200 or 404, a
// timeout) takes the remote out of the run and cancels the requests still
// in flight; and the time during which any request is in flight is
// counted against one budget, so a server that is down or slow costs a
// run at most Budget, however many entries it would have served. Get and
// Put then return ErrRemoteDown.
//
// GetBlob and PutBlob use the server's content store (/cas/<sha256>),
// for build outputs (see package gocache).
type Remote struct {
	base     *url.URL
	header   http.Header
	readOnly bool
	key      []byte // SigningKey
	budget   time.Duration
	client   *http.Client

	ctx    context.Context // cancelled when the remote goes down
	cancel context.CancelFunc

	perRequest time.Duration

	mu        sync.Mutex
	spent     time.Duration // time with a request in flight, before busySince
	inflight  int
	busySince time.Time
	down      error
	refused   error // why the server refused a write; reads go on
}

// RemoteConfig says where a remote cache is and how to use it.
type RemoteConfig struct {
	// URL is the server's base URL (http or https); a path is kept, as a
	// bazel-remote instance name. A user and password in it are sent as
	// basic authentication and never printed.
	URL string
	// Token, when set, is sent as "Authorization: Bearer <Token>".
	Token string
	// ReadOnly fetches entries and never stores one, as a pull request
	// from a fork should.
	ReadOnly bool
	// Budget bounds the time during which a request is in flight, in
	// all; 0 means DefaultRemoteBudget.
	Budget time.Duration
	// RequestTimeout, when set, bounds each request too.
	RequestTimeout time.Duration
	// SigningKey, when set, signs every entry this client stores with an
	// HMAC-SHA256 over its key and content, and accepts only entries
	// signed with it: a server (or whoever can write to it, or sits on a
	// plain-HTTP path) never has the key, so it cannot forge a pass. An
	// unsigned or mis-signed entry is ErrForged. Writers and readers need
	// the same key (HACKLESS_REMOTE_CACHE_KEY, or a file hackless.yaml's
	// cache.keyFile names).
	SigningKey []byte
	// BuildCacheDir, when set, serves the go command's build cache
	// through the server too (see package gocache), keeping outputs in
	// this directory, when the driver can (build.Options.GoCacheProg).
	// It is used with the step cache off, too.
	BuildCacheDir string
}

// DefaultRemoteBudget is the time a run spends on a remote cache at most.
const DefaultRemoteBudget = 10 * time.Second

// ErrRemoteDown reports a remote cache that failed earlier in the run.
var ErrRemoteDown = errors.New("remote cache unavailable")

// ErrForged reports an entry that is not signed with the client's
// SigningKey: the server, or someone who can write to it, made it up.
var ErrForged = errors.New("not signed with this cache's key")

// NewRemote returns a client of the server cfg names; it does not contact
// it.
func NewRemote(cfg RemoteConfig) (*Remote, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("remote cache URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("remote cache URL %s: want http://host[:port][/instance] or https://…", u.Redacted())
	}
	h := make(http.Header)
	if cfg.Token != "" {
		h.Set("Authorization", "Bearer "+cfg.Token)
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		req := http.Request{Header: make(http.Header)}
		req.SetBasicAuth(u.User.Username(), pw)
		h.Set("Authorization", req.Header.Get("Authorization"))
		u.User = nil
	}
	budget := cfg.Budget
	if budget <= 0 {
		budget = DefaultRemoteBudget
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Remote{
		base:       u,
		header:     h,
		readOnly:   cfg.ReadOnly,
		key:        cfg.SigningKey,
		budget:     budget,
		perRequest: cfg.RequestTimeout,
		client:     &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 16}},
		ctx:        ctx,
		cancel:     cancel,
	}, nil
}

// String returns the server's URL, without credentials.
func (r *Remote) String() string { return r.base.String() }

// ReadOnly reports whether the remote only serves entries.
func (r *Remote) ReadOnly() bool { return r.readOnly }

// Err returns why the remote went down in this run, or nil.
func (r *Remote) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.down
}

// Refused returns why the server refused to store an entry (it wants
// credentials the run does not have, as in a pull request from a fork),
// after which the run only reads from it; or nil.
func (r *Remote) Refused() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

// Close ends the requests still in flight.
func (r *Remote) Close() { r.cancel() }

// fail takes the remote out of the run.
func (r *Remote) fail(err error) error {
	r.mu.Lock()
	if r.down == nil {
		r.down = err
	}
	err = r.down
	r.mu.Unlock()
	r.cancel()
	return fmt.Errorf("%w: %v", ErrRemoteDown, err)
}

// do sends one request within what is left of the budget; it returns the
// response's status and body.
func (r *Remote) do(ctx context.Context, method, store string, k Key, body []byte) (int, []byte, error) {
	left, err := r.begin()
	if err != nil {
		return 0, nil, err
	}
	defer r.end()
	timeout := left
	if r.perRequest > 0 && r.perRequest < left {
		timeout = r.perRequest
	}
	rctx, cancel := context.WithTimeout(r.ctx, timeout)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel) // the run's own cancellation
	defer stop()
	u := r.base.JoinPath(store, k.String())
	req, err := http.NewRequestWithContext(rctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for name, v := range r.header {
		req.Header[name] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	status, data, err := r.send(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err() // the run was interrupted, not the server
		}
		if rctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("it took more than %s", timeout)
			if timeout == left {
				err = fmt.Errorf("it took more than %s in all", r.budget)
			}
		}
		return 0, nil, r.fail(err)
	}
	return status, data, nil
}

// begin counts a request in flight and returns what is left of the
// budget.
func (r *Remote) begin() (time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down != nil {
		return 0, fmt.Errorf("%w: %v", ErrRemoteDown, r.down)
	}
	now := time.Now()
	left := r.budget - r.spent
	if r.inflight > 0 {
		left -= now.Sub(r.busySince)
	}
	if left <= 0 {
		r.down = fmt.Errorf("it took more than %s in all", r.budget)
		r.cancel()
		return 0, fmt.Errorf("%w: %v", ErrRemoteDown, r.down)
	}
	if r.inflight == 0 {
		r.busySince = now
	}
	r.inflight++
	return left, nil
}

func (r *Remote) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight--; r.inflight == 0 {
		r.spent += time.Since(r.busySince)
	}
}

func (r *Remote) send(req *http.Request) (int, []byte, error) {
	resp, err := r.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is said once, by whoever reports it
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRemoteEntry+1))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, data, nil
}

// maxRemoteEntry bounds what a GET reads: step entries are a few
// kilobytes, build outputs (GetBlob) rarely more than tens of megabytes.
const maxRemoteEntry = 256 << 20

// Get fetches the entry stored under k, or returns nil on a miss. An
// entry that is not what Put stored under k is ErrCorrupt; a server that
// fails is ErrRemoteDown, now and for the rest of the run.
func (r *Remote) Get(ctx context.Context, k Key) (*Entry, error) {
	raw, err := r.GetAction(ctx, k)
	if raw == nil || err != nil {
		return nil, err
	}
	e, err := decodeRemote(k, raw)
	if err != nil {
		return nil, r.Distrust(fmt.Errorf("%w: remote entry %s: %v", ErrCorrupt, k, err))
	}
	return e, nil
}

// Put stores e under k; a read-only remote stores nothing.
func (r *Remote) Put(ctx context.Context, k Key, e *Entry) error {
	raw, err := encodeRemote(k, e)
	if err != nil {
		return err
	}
	return r.PutAction(ctx, k, raw)
}

// GetAction fetches what PutAction stored under k in the action cache, or
// nil on a miss. The caller checks that it is what was stored. With a
// signing key, an entry not signed with it for k is ErrForged, and takes
// the server out of the run: it is never served, never kept.
func (r *Remote) GetAction(ctx context.Context, k Key) ([]byte, error) {
	data, err := r.get(ctx, "ac", k)
	if data == nil || err != nil {
		return nil, err
	}
	raw, ok := stdoutRaw(data)
	if !ok {
		return nil, r.Distrust(fmt.Errorf("%w: remote entry %s is not an ActionResult", ErrCorrupt, k))
	}
	raw, err = unsign(r.key, k, raw)
	if err != nil {
		return nil, r.Distrust(fmt.Errorf("%w: remote entry %s: %v", ErrForged, k, err))
	}
	return raw, nil
}

// PutAction stores raw under k in the action cache, as the stdout of an
// ActionResult, signed with the signing key if there is one; a read-only
// remote stores nothing.
func (r *Remote) PutAction(ctx context.Context, k Key, raw []byte) error {
	return r.put(ctx, "ac", k, actionResult(sign(r.key, k, raw)))
}

// Distrust takes the server out of the run because it served an entry
// that fails a check (err): what it serves next is not asked for. It
// returns err.
func (r *Remote) Distrust(err error) error {
	r.fail(err)
	return err
}

// signHeader starts a signed action entry; the HMAC follows, in hex.
const signHeader = "hackless-signed-v1 "

// sign prefixes raw with the HMAC-SHA256, made with key, of k and raw;
// without a key, raw is stored as it is.
func sign(key []byte, k Key, raw []byte) []byte {
	if len(key) == 0 {
		return raw
	}
	return append([]byte(signHeader+hex.EncodeToString(mac(key, k, raw))+"\n"), raw...)
}

// unsign returns what sign signed: with a key, only an entry signed with
// it for k; without one, the entry with any signature taken off (a reader
// without the key cannot check it, and trusts the server).
func unsign(key []byte, k Key, data []byte) ([]byte, error) {
	signed := bytes.HasPrefix(data, []byte(signHeader))
	if len(key) == 0 {
		if signed {
			_, data, _ = bytes.Cut(data, []byte("\n"))
		}
		return data, nil
	}
	if !signed {
		return nil, errors.New("unsigned")
	}
	line, raw, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return nil, errors.New("no signature")
	}
	got, err := hex.DecodeString(string(line[len(signHeader):]))
	if err != nil || !hmac.Equal(got, mac(key, k, raw)) {
		return nil, errors.New("signature mismatch")
	}
	return raw, nil
}

func mac(key []byte, k Key, raw []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(k[:])
	h.Write(raw)
	return h.Sum(nil)
}

// GetBlob fetches the content whose SHA-256 is sum from the content
// store, or nil on a miss; content that does not hash to sum is
// ErrCorrupt.
func (r *Remote) GetBlob(ctx context.Context, sum Key) ([]byte, error) {
	data, err := r.get(ctx, "cas", sum)
	if data == nil || err != nil {
		return nil, err
	}
	if sha256.Sum256(data) != sum {
		return nil, fmt.Errorf("%w: remote blob %s does not hash to its name", ErrCorrupt, sum)
	}
	return data, nil
}

// PutBlob stores data in the content store, under its SHA-256.
func (r *Remote) PutBlob(ctx context.Context, data []byte) error {
	return r.put(ctx, "cas", sha256.Sum256(data), data)
}

// get returns what the store holds under k, or nil on a miss.
func (r *Remote) get(ctx context.Context, store string, k Key) ([]byte, error) {
	status, data, err := r.do(ctx, http.MethodGet, store, k, nil)
	switch {
	case err != nil:
		return nil, err
	case status == http.StatusNotFound:
		return nil, nil
	case status != http.StatusOK:
		return nil, r.fail(fmt.Errorf("GET: %s", http.StatusText(status)))
	}
	if data == nil {
		data = []byte{} // found, and empty
	}
	return data, nil
}

func (r *Remote) put(ctx context.Context, store string, k Key, body []byte) error {
	if r.readOnly || r.Refused() != nil {
		return nil
	}
	status, resp, err := r.do(ctx, http.MethodPut, store, k, body)
	if err != nil {
		return err
	}
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		r.mu.Lock()
		if r.refused == nil {
			r.refused = fmt.Errorf("PUT: %s", http.StatusText(status))
		}
		r.mu.Unlock()
		return r.Refused()
	}
	if status/100 != 2 {
		return r.fail(fmt.Errorf("PUT: %s: %s", http.StatusText(status), firstLine(resp)))
	}
	return nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// remoteHeader starts every remote entry: the format, the key it was
// stored under, and the SHA-256 of the JSON that follows.
const remoteHeader = "hackless-remote-v1 "

func encodeRemote(k Key, e *Entry) ([]byte, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return append([]byte(remoteHeader+k.String()+" "+hex.EncodeToString(sum[:])+"\n"), data...), nil
}

func decodeRemote(k Key, raw []byte) (*Entry, error) {
	line, body, ok := bytes.Cut(raw, []byte("\n"))
	if !ok || !bytes.HasPrefix(line, []byte(remoteHeader)) {
		return nil, errors.New("no header")
	}
	key, sum, ok := strings.Cut(string(line[len(remoteHeader):]), " ")
	if !ok {
		return nil, errors.New("no checksum")
	}
	if key != k.String() {
		return nil, fmt.Errorf("stored under another key (%.12s…)", key)
	}
	want, err := hex.DecodeString(sum)
	got := sha256.Sum256(body)
	if err != nil || !bytes.Equal(want, got[:]) {
		return nil, errors.New("checksum mismatch")
	}
	var e Entry
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// actionResult encodes an REAPI ActionResult whose only field is
// stdout_raw (field 5, bytes).
func actionResult(stdout []byte) []byte {
	out := []byte{5<<3 | 2}
	out = binary.AppendUvarint(out, uint64(len(stdout)))
	return append(out, stdout...)
}

// stdoutRaw returns the stdout_raw field of an ActionResult, skipping the
// fields a server adds (bazel-remote adds execution_metadata).
func stdoutRaw(msg []byte) ([]byte, bool) {
	var raw []byte
	found := false
	for len(msg) > 0 {
		tag, n := binary.Uvarint(msg)
		if n <= 0 {
			return nil, false
		}
		msg = msg[n:]
		switch tag & 7 {
		case 0: // varint
			_, n = binary.Uvarint(msg)
			if n <= 0 {
				return nil, false
			}
		case 1: // 64-bit
			n = 8
		case 5: // 32-bit
			n = 4
		case 2: // length-delimited
			l, m := binary.Uvarint(msg)
			if m <= 0 || l > uint64(len(msg)-m) {
				return nil, false
			}
			if tag>>3 == 5 {
				raw, found = msg[m:m+int(l)], true
			}
			n = m + int(l)
		default:
			return nil, false
		}
		if n > len(msg) {
			return nil, false
		}
		msg = msg[n:]
	}
	return raw, found
}
