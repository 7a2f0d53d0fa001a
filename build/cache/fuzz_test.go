// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package cache

import (
	"crypto/sha256"
	"testing"
)

// FuzzRemoteEntry: nothing a server sends makes the decoders of a remote
// entry panic, and with a signing key nothing unsigned decodes.
func FuzzRemoteEntry(f *testing.F) {
	k := Key(sha256.Sum256([]byte("k")))
	good, _ := encodeRemote(k, &Entry{Step: "vet", Module: "a"})
	f.Add(actionResult(good))
	f.Add(actionResult(sign([]byte("s"), k, good)))
	f.Add([]byte("\xff\xff"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, msg []byte) {
		raw, ok := stdoutRaw(msg)
		if !ok {
			return
		}
		decodeRemote(k, raw)
		if plain, err := unsign([]byte("s"), k, raw); err == nil {
			if _, err := unsign([]byte("s"), k, sign([]byte("s"), k, plain)); err != nil {
				t.Errorf("a signed entry does not verify: %v", err)
			}
		}
		if _, err := unsign(nil, k, raw); err != nil {
			t.Errorf("without a key, unsign(%q): %v", raw, err)
		}
	})
}

// FuzzStatRecords: no stat record makes decodeStats panic (the checksum
// is made right, so the body itself is fuzzed).
func FuzzStatRecords(f *testing.F) {
	good := encodeStats(map[string]statEntry{})
	f.Add(good[len(statMagic) : len(good)-sha256.Size])
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, body []byte) {
		b := append([]byte(statMagic), body...)
		sum := sha256.Sum256(b)
		decodeStats(append(b, sum[:]...))
	})
}
