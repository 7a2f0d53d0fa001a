// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"os"
	"testing"

	"github.com/hackless/hackless/internal/testws"
)

func TestMain(m *testing.M) {
	testws.OneProcEach()
	os.Exit(m.Run())
}
