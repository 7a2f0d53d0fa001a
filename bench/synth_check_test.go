// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/hackless/hackless/internal/testws"
)

// TestSyntheticIsClean checks, on a small instance, that the generated
// workspace passes the checks the benchmark measures: a benchmark of a
// workspace that fails would measure the wrong thing.
func TestSyntheticIsClean(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy on generated modules")
	}
	dir := t.TempDir()
	Synthetic{Modules: 4, Packages: 3, Files: 3}.Write(t, dir)
	out, _ := exec.Command("gofmt", "-s", "-l", dir).CombinedOutput()
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("not gofmt -s clean:\n%s", s)
	}
	if out := testws.Run(t, dir, "go", "vet", "work"); out != "" {
		t.Errorf("go vet: %s", out)
	}
}
