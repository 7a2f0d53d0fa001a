// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hackless/hackless/internal/testws"
	"github.com/hackless/hackless/steps"
)

// actionlint runs the pinned actionlint of tools/go.mod on a workflow file.
func actionlint(t *testing.T, workflow string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", "tool", "-modfile=tools/go.mod", "actionlint", "-no-color", workflow)
	cmd.Dir = testws.Checkout()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestWorkflowIsValid(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds actionlint")
	}
	if out, err := actionlint(t, ".github/workflows/ci.yml"); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
	// The check must be able to fail.
	b, err := os.ReadFile(filepath.Join(testws.Checkout(), ".github", "workflows", "ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "broken.yml")
	os.WriteFile(broken, []byte(strings.Replace(string(b), "needs.plan.outputs.matrix", "needs.plann.outputs.matrix", 1)), 0o644)
	if out, err := actionlint(t, broken); err == nil {
		t.Errorf("actionlint accepted a broken workflow:\n%s", out)
	}
}

func TestMatrixShardsRunExactlyVerify(t *testing.T) {
	t.Parallel()
	dir := adopter(t)
	for _, n := range []string{"1", "3", "300"} {
		out, code := run(t, dir, nil, "ci:matrix", "-n="+n)
		wantCode(t, out, code, 0)
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 {
			t.Fatalf("ci:matrix printed %d lines, want one:\n%s", len(lines), out)
		}
		var m struct {
			Include []struct{ Shard, Targets, What, Command string }
		}
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("ci:matrix output is not JSON: %v\n%s", err, out)
		}
		if len(m.Include) == 0 || len(m.Include) > 256 {
			t.Fatalf("n=%s: %d entries", n, len(m.Include))
		}
		var ran []string
		for _, e := range m.Include {
			if n == "300" {
				// One step per entry: the entries name each step once
				// (the runs of n=1 and n=3 show that entries run
				// exactly what they name).
				ran = append(ran, strings.Fields(e.What)...)
			} else {
				// Run the entry as the workflow does, and read which
				// steps ran.
				out, code := run(t, dir, nil, "verify", "-what="+e.What)
				wantCode(t, out, code, 0)
				for _, line := range strings.Split(out, "\n") {
					if f := strings.Fields(line); len(f) >= 2 && (f[0] == "ok" || f[0] == "cached") {
						ran = append(ran, f[1])
					}
				}
			}
			if want := "verify:" + strings.ReplaceAll(e.What, " ", " verify:"); e.Targets != want {
				t.Errorf("targets %q do not match what %q", e.Targets, e.What)
			}
		}
		var all []string
		for _, s := range steps.All() {
			all = append(all, s.Name)
		}
		slices.Sort(ran)
		slices.Sort(all)
		if got, want := strings.Join(ran, " "), strings.Join(all, " "); got != want {
			t.Errorf("n=%s: the shards ran %q, want each verify step once: %q", n, got, want)
		}
	}
	out, code := run(t, dir, nil, "ci:matrix", "-n=0")
	wantCode(t, out, code, 2)

	// ci:shard runs the same split.
	out, code = run(t, dir, nil, "ci:shard", "2/2")
	wantCode(t, out, code, 0)
	out, code = run(t, dir, nil, "ci:shard", "3/2")
	wantCode(t, out, code, 2)
}
