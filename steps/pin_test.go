// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
)

func readAll(t *testing.T, dir string, files ...string) string {
	t.Helper()
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		b.WriteString("== " + f + "\n" + string(data))
	}
	return b.String()
}

var quoteModFiles = []string{
	"go.mod", "go.sum",
	"staging/src/example.com/api/go.mod", "staging/src/example.com/api/go.sum",
	"staging/src/example.com/client/go.mod", "staging/src/example.com/client/go.sum",
}

func TestPin(t *testing.T) {
	t.Parallel()
	dir := quoteWorkspace(t)

	// A ref that does not exist changes nothing.
	before := readAll(t, dir, quoteModFiles...)
	rep, out := runSteps(t, dir, build.Update, nil, Pin(PinSpec{Module: "rsc.io/sampler", Ref: "v9.9.9"}))
	if r := rep.Results[0]; r.Status != build.Failed || !strings.Contains(r.Reason, "cannot resolve rsc.io/sampler@v9.9.9, so nothing was changed") {
		t.Errorf("bad ref:\n%s", out)
	}
	if readAll(t, dir, quoteModFiles...) != before {
		t.Error("a failed pin changed files")
	}

	// A pin every module takes.
	rep, out = runSteps(t, dir, build.Update, nil, Pin(PinSpec{Module: "rsc.io/sampler", Ref: "v1.99.99"}))
	if rep.ExitCode() != build.ExitOK {
		t.Fatalf("pin:\n%s", out)
	}
	for _, f := range []string{"go.mod", "staging/src/example.com/api/go.mod", "staging/src/example.com/client/go.mod"} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); !strings.Contains(string(b), "rsc.io/sampler v1.99.99") {
			t.Errorf("%s does not require the pinned version:\n%s", f, b)
		}
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, Tidy, Deps); rep.ExitCode() != build.ExitOK {
		t.Errorf("not tidy or consistent after the pin:\n%s", out)
	}

	// A lower version loses to the requirement of rsc.io/quote: say so.
	rep, out = runSteps(t, dir, build.Update, nil, Pin(PinSpec{Module: "rsc.io/sampler", Ref: "v1.0.0"}))
	if !strings.Contains(out, "rsc.io/sampler is selected at v1.3.0, not the pinned v1.0.0") || !strings.Contains(out, "update:pin rsc.io/sampler=rsc.io/sampler v1.0.0") {
		t.Errorf("an overridden pin is not reported:\n%s", out)
	}

	// The fork form. GOSUMDB=off passes through to the go command: the
	// checksum database these machines reach lacks this old version.
	env := append(os.Environ(), "GOSUMDB=off")
	rep, out = runSteps(t, dir, build.Update, env, Pin(PinSpec{Module: "rsc.io/sampler", Replacement: "rsc.io/sampler", Ref: "v1.2.0"}))
	if rep.ExitCode() != build.ExitOK {
		t.Fatalf("pin with a replace:\n%s", out)
	}
	for _, f := range []string{"go.mod", "staging/src/example.com/client/go.mod"} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); !strings.Contains(string(b), "replace rsc.io/sampler => rsc.io/sampler v1.2.0") {
			t.Errorf("%s lacks the replace:\n%s", f, b)
		}
	}
}

func TestParsePin(t *testing.T) {
	if s, err := ParsePin("a.com/x=b.com/y", "main"); err != nil || s != (PinSpec{"a.com/x", "b.com/y", "main"}) {
		t.Errorf("ParsePin = %+v, %v", s, err)
	}
	for _, bad := range [][2]string{{"", "v1"}, {"a.com/x@v1", "v1"}, {"a.com/x", ""}} {
		if _, err := ParsePin(bad[0], bad[1]); err == nil {
			t.Errorf("ParsePin(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
