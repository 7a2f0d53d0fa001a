// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hackless/hackless/internal/testws"
)

// hackScripts are the hack/ directory of a repository that has not
// rewritten anything yet: checks that Kubernetes-style repositories carry,
// each written as such scripts are (bash, cd to the root, regenerate in
// place and git diff, git worktree for a second checkout, ERROR: lines),
// and verify-all.sh, which runs them one after another as make verify
// does.
var hackScripts = testws.Files{
	"hack/verify-gofmt.sh": `#!/usr/bin/env bash
set -o errexit -o nounset -o pipefail
ROOT=$(dirname "${BASH_SOURCE[0]}")/..
cd "${ROOT}"
bad=$(git ls-files -z '*.go' | xargs -0 gofmt -s -l)
if [[ -n "${bad}" ]]; then
  for f in ${bad}; do echo "${f}:1: not formatted with gofmt -s"; done
  echo "ERROR: run hack/update-gofmt.sh"
  exit 1
fi
`,
	"hack/update-gofmt.sh": `#!/usr/bin/env bash
set -o errexit -o nounset -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
git ls-files -z '*.go' | xargs -0 gofmt -s -w
`,
	"hack/verify-vet.sh": `#!/usr/bin/env bash
set -o errexit -o nounset -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for m in $(go list -m -f '{{.Dir}}'); do (cd "${m}" && go vet ./...); done
`,
	// Regenerates in place, then diffs against HEAD.
	"hack/update-modules.sh": `#!/usr/bin/env bash
set -o errexit -o nounset -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
go list -m > hack/modules.txt
`,
	"hack/verify-modules.sh": `#!/usr/bin/env bash
set -o errexit -o nounset -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
hack/update-modules.sh
if ! git diff --quiet HEAD -- hack/modules.txt; then
  git diff HEAD -- hack/modules.txt
  echo "ERROR: hack/modules.txt is out of date. Run hack/update-modules.sh"
  exit 1
fi
`,
	// Checks out HEAD in a second work tree, as API-compatibility
	// scripts do, and compares.
	"hack/verify-worktree.sh": `#!/usr/bin/env bash
set -o errexit -o nounset -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp=$(mktemp -d)
trap 'git worktree remove --force "${tmp}/base"; rm -rf "${tmp}"' EXIT
git worktree add -q "${tmp}/base" HEAD
diff -r -q -x .git . "${tmp}/base" >/dev/null
`,
	"hack/verify-headers.sh": `#!/usr/bin/env bash
set -o errexit -o nounset -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
missing=0
for f in $(git ls-files 'staging/*.go' | grep -v '_test\.go$'); do
  if ! head -n 1 "${f}" | grep -q '^// '; then
    echo "${f}:1: missing the header comment"
    missing=$((missing+1))
  fi
done
if (( missing > 0 )); then
  echo "ERROR: ${missing} files lack the header"
  exit 1
fi
`,
	"hack/verify-all.sh": `#!/usr/bin/env bash
cd "$(dirname "${BASH_SOURCE[0]}")/.."
failed=0
for s in hack/verify-*.sh; do
  [[ "${s}" == hack/verify-all.sh ]] && continue
  "${s}" >/dev/null 2>&1 || failed=1
done
exit "${failed}"
`,
	"hackless.yaml": "scripts:\n  discover: hack\n  exclude: [verify-all.sh]\n",
}

// TestScriptMigration adopts hackless in a repository whose checks are
// all hack/ scripts, as on the first day of a migration: verify runs every
// script in parallel, each in a copy, turns their output into findings,
// and leaves the tree and its git state as they were; update writes back
// what an update script changes.
func TestScriptMigration(t *testing.T) {
	t.Parallel()
	dir := adopter(t)
	testws.Write(t, dir, hackScripts)
	for name := range hackScripts {
		if strings.HasSuffix(name, ".sh") {
			os.Chmod(filepath.Join(dir, name), 0o755)
		}
	}
	testws.Run(t, dir, "hack/update-modules.sh")
	// Seeded: a file without the header, and a stale generated list.
	testws.Write(t, dir, testws.Files{"staging/src/example.com/api/noheader.go": "package api\n"})
	testws.Run(t, dir, "git", "add", "-A")
	testws.Run(t, dir, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "hack scripts")
	os.WriteFile(filepath.Join(dir, "hack/modules.txt"), []byte("example.com/stale\n"), 0o644)
	testws.Run(t, dir, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "stale")
	status := testws.Run(t, dir, "git", "status", "--porcelain")

	what := "-what=hack-gofmt hack-vet hack-modules hack-worktree hack-headers"
	start := time.Now()
	out, code := run(t, dir, nil, "verify", what, "-jobs=4")
	parallel := time.Since(start)
	wantCode(t, out, code, 1)
	wantVerdict(t, out, 3, 2)
	wantOutput(t, out,
		"staging/src/example.com/api/noheader.go:1: hack/verify-headers.sh: missing the header comment",
		"hack/verify-headers.sh: 1 files lack the header",
		"hack/verify-modules.sh: hack/modules.txt is out of date. Run hack/update-modules.sh",
		"fix: go -C magefiles tool hackless update -what=hack-modules")
	if strings.Contains(out, "hack-all") {
		t.Errorf("verify-all.sh is excluded but ran:\n%s", out)
	}
	if got := testws.Run(t, dir, "git", "status", "--porcelain"); got != status {
		t.Errorf("verify changed git status:\n%s\nwant:\n%s", got, status)
	}
	if wt := testws.Run(t, dir, "git", "worktree", "list"); strings.Count(wt, "\n") != 1 {
		t.Errorf("verify left work trees behind:\n%s", wt)
	}
	// The scripts overlapped: their times add up to more than the run's.
	if sum, wall := stepTimes(t, out); sum <= wall {
		t.Errorf("the scripts ran one after another (%.2fs of steps in %.2fs):\n%s", sum, wall, out)
	}

	// Day one against make verify: the magefile is compiled now.
	start = time.Now()
	run(t, dir, nil, "verify", what, "-jobs=4", "-nocache")
	parallel2 := time.Since(start)
	start = time.Now()
	serialCmd := exec.Command("hack/verify-all.sh")
	serialCmd.Dir = dir
	serialCmd.Run()
	t.Logf("day one: go tool mage verify ran the scripts in %v (%v with the magefile compiling); hack/verify-all.sh ran them one after another in %v",
		parallel2.Round(time.Millisecond), parallel.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	out, code = run(t, dir, nil, "update", "-what=hack-modules")
	wantCode(t, out, code, 0)
	out, code = run(t, dir, nil, "verify", "-what=hack-modules hack-gofmt")
	wantCode(t, out, code, 0)
	// Nothing changed since: both passes come from the step cache.
	out, code = run(t, dir, nil, "verify", "-what=hack-modules hack-gofmt")
	wantCode(t, out, code, 0)
	wantOutput(t, out, "2 passed (2 cached)")
	if got := testws.Run(t, dir, "git", "status", "--porcelain"); got != " M hack/modules.txt\n" {
		t.Errorf("after update, git status:\n%s", got)
	}
}

var (
	stepTimeRE = regexp.MustCompile(`(?m)^hack-\S+\s+(?:ok|FAIL)\s+([0-9.]+)s`)
	wallRE     = regexp.MustCompile(`verify: .* in ([0-9.]+)s`)
)

// stepTimes sums the step times of verify's summary table and returns
// the run's wall time.
func stepTimes(t *testing.T, out string) (sum, wall float64) {
	t.Helper()
	for _, m := range stepTimeRE.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		sum += v
	}
	m := wallRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no run time in:\n%s", out)
	}
	wall, _ = strconv.ParseFloat(m[1], 64)
	return sum, wall
}
