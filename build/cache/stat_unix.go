//go:build unix

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package cache

import (
	"os"
	"syscall"
)

func statOf(fi os.FileInfo) statEntry {
	e := statEntry{Size: fi.Size(), ModNs: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.Ino = uint64(st.Ino)
		e.ChangeNs = changeTime(st)
	}
	return e
}
