// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

func TestShell(t *testing.T) {
	if testing.Short() {
		t.Skip("builds shfmt")
	}
	files := testws.Staging()
	files["hack/ok.sh"] = "#!/usr/bin/env bash\nif true; then\n  echo ok\nfi\n"
	files["hack/lib/util.bash"] = "f() {\n  echo   \"$1\"\n}\n"
	files["hack/broken.sh"] = "#!/bin/sh\necho $(\n"
	dir := testws.New(t, files)

	// No .editorconfig: parsing only, so the two-space scripts pass.
	rep, out := runSteps(t, dir, build.Verify, nil, Shell)
	wantFindings(t, rep, "shell", out, "hack/broken.sh:2:6: does not parse:")
	if n := len(result(rep, "shell").Findings); n != 1 || !strings.Contains(out, "formatting is not checked") {
		t.Fatalf("without .editorconfig, want only the parse error:\n%s", out)
	}

	os.Remove(filepath.Join(dir, "hack/broken.sh"))
	testws.Write(t, dir, testws.Files{".editorconfig": "root = true\n\n[*.go]\nindent_style = tab\n\n[*.{sh,bash}]\nindent_style = space\nindent_size = 4\n"})
	rep, out = runSteps(t, dir, build.Verify, nil, Shell)
	wantFindings(t, rep, "shell", out,
		"hack/ok.sh:1: not formatted as shfmt formats it with the settings of .editorconfig:6",
		"hack/lib/util.bash:1: not formatted")
	runSteps(t, dir, build.Update, nil, Shell)
	if b, _ := os.ReadFile(filepath.Join(dir, "hack/ok.sh")); string(b) != "#!/usr/bin/env bash\nif true; then\n    echo ok\nfi\n" {
		t.Errorf("hack/ok.sh after update:\n%s", b)
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, Shell); rep.ExitCode() != build.ExitOK {
		t.Errorf("after update:\n%s", out)
	}
}
