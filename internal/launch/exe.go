// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package launch

import "runtime"

// exeSuffix ends the name of a compiled magefile.
var exeSuffix = map[bool]string{true: ".exe"}[runtime.GOOS == "windows"]
