//go:build !unix

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package cache

import "os"

// statOf has only size and modification time where there is no inode or
// change time; the racy-file rule still applies.
func statOf(fi os.FileInfo) statEntry {
	return statEntry{Size: fi.Size(), ModNs: fi.ModTime().UnixNano()}
}
