// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package atomicfile

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchange swaps the files at a and b in one step (renameat2 with
// RENAME_EXCHANGE); ok is false, with a nil error, where the file system
// cannot, and with the error when the swap failed otherwise. Either way
// nothing changed.
func exchange(a, b string) (ok bool, err error) {
	err = unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return false, nil
	}
	return err == nil, err
}
