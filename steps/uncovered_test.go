// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/driver"
	"github.com/hackless/hackless/build/workspace"
	"github.com/hackless/hackless/internal/testws"
)

// TestUncovered: checks the repository configures and no step runs are
// named in the summary, never passed over; a script step that runs the
// tool covers it.
func TestUncovered(t *testing.T) {
	files := testws.Staging()
	files[".gomodguard.yaml"] = "blocked:\n  modules: []\n"
	files["staging/src/example.com/api/.gomodguard.yaml"] = "blocked:\n  modules: []\n"
	files["staticcheck.conf"] = "checks = [\"all\"]\n"
	dir := testws.New(t, files)
	ws, err := workspace.Load(context.Background(), dir, os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(Uncovered(ws, All()), "\n")
	for _, want := range []string{"not covered: gomodguard (.gomodguard.yaml ×2)", "not covered: staticcheck (staticcheck.conf)"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q:\n%s", want, got)
		}
	}
	script := Script{Name: "hack-gomodguard", Verify: "hack/verify-gomodguard.sh"}.Step()
	if got := strings.Join(Uncovered(ws, append(All(), script)), "\n"); strings.Contains(got, "gomodguard") {
		t.Errorf("a script that runs gomodguard covers it:\n%s", got)
	}

	// The run's summary shows it.
	var out bytes.Buffer
	if _, err := driver.Run(context.Background(), driver.Options{Options: build.Options{Mode: build.Verify, Dir: dir, Notices: func(ws *workspace.Workspace) []string { return Uncovered(ws, All()) }}, Out: &out}, Gofmt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "warning: not covered: gomodguard") {
		t.Errorf("the summary does not name it:\n%s", out.String())
	}
}
