//go:build !unix

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package filelock

// Lock does nothing where flock is not available: concurrent processes
// may then do the same work twice, each into its own temporary file.
func Lock(string) (unlock func(), err error) { return func() {}, nil }

// TryLock never has the lock where flock is not available: callers take
// a place of their own.
func TryLock(string) (unlock func(), ok bool, err error) { return nil, false, nil }
