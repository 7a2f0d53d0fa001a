//go:build !unix

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package launch

import "runtime"

var exeSuffix = map[bool]string{true: ".exe"}[runtime.GOOS == "windows"]

// lock does nothing where flock is not available: concurrent first
// launches may then compile twice, each into its own temporary file.
func lock(string) (func(), error) { return func() {}, nil }
