//go:build !unix

// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package hermetic

import "os/exec"

// setProcessGroup keeps exec's default cancellation, which kills only the
// direct child, where process groups are not available.
func setProcessGroup(cmd *exec.Cmd) {}
