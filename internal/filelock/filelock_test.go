//go:build unix

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package filelock

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestLockExcludes: a second Lock of the same file waits until the first
// is released.
func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	var released atomic.Bool
	got := make(chan bool)
	go func() {
		unlock2, err := Lock(path)
		if err != nil {
			t.Error(err)
			got <- false
			return
		}
		got <- released.Load()
		unlock2()
	}()
	select {
	case <-got:
		t.Fatal("a second Lock was granted while the first was held")
	case <-time.After(200 * time.Millisecond):
	}
	released.Store(true)
	unlock()
	if ok := <-got; !ok {
		t.Error("the second Lock was granted before the first was released")
	}
}
