// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

func TestReview(t *testing.T) {
	dir := quoteWorkspace(t)
	testws.Git(t, dir)
	git := func(args ...string) {
		testws.Run(t, dir, "git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	}
	git("checkout", "-q", "-b", "feature")

	// A commit that adds a dependency at a pseudo-version, with a reason.
	const client = "staging/src/example.com/client/"
	testws.Write(t, dir, testws.Files{client + "cpu.go": "package client\n\nimport \"golang.org/x/sys/cpu\"\n\n// HasAVX says whether the CPU has AVX.\nfunc HasAVX() bool { return cpu.X86.HasAVX }\n"})
	testws.Replace(t, dir, client+"go.mod", "rsc.io/quote v1.5.2\n", "rsc.io/quote v1.5.2\n\tgolang.org/x/sys v0.0.0-20220412211240-33da011f77ad\n")
	testws.Tidy(t, dir, "staging/src/example.com/client", ".", "staging/src/example.com/api")
	git("add", "-A")
	git("commit", "-qm", "client: detect AVX\n\nThe client picks a faster codec when the CPU has AVX.")
	// A bare one-line upgrade.
	testws.Replace(t, dir, client+"go.mod", "rsc.io/sampler v1.3.0 // indirect", "rsc.io/sampler v1.3.1 // indirect")
	testws.Tidy(t, dir, "staging/src/example.com/client", ".", "staging/src/example.com/api")
	git("add", "-A")
	git("commit", "-qm", "bump sampler")

	rep, out := runSteps(t, dir, build.Verify, nil, Review(ReviewConfig{}))
	if rep.ExitCode() != build.ExitOK {
		t.Fatalf("review:\n%s", out)
	}
	data, err := os.ReadFile(ReviewFile(dir, "json"))
	if err != nil {
		t.Fatal(err)
	}
	var r ReviewReport
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	check := func(what string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s; report:\n%s", what, data)
		}
	}
	check("x/sys added as a direct dependency", len(r.Added) == 1 && r.Added[0].Path == "golang.org/x/sys" && r.Added[0].Direct)
	check("sampler upgraded", len(r.Upgraded) == 1 && r.Upgraded[0].Path == "rsc.io/sampler" && r.Upgraded[0].From == "v1.3.0" && r.Upgraded[0].To == "v1.3.1")
	check("no removals or downgrades", len(r.Removed) == 0 && len(r.Downgraded) == 0)
	check("the pseudo-version with tags flagged", len(r.Pseudo) == 1 && r.Pseudo[0].Path == "golang.org/x/sys" && strings.HasPrefix(r.Pseudo[0].Note, "tagged release v0."))
	check("the new init function", len(r.Inits) == 1 && r.Inits[0] == "golang.org/x/sys/cpu")
	check("the new module's license", len(r.Licenses) == 1 && r.Licenses[0].Path == "golang.org/x/sys" && r.Licenses[0].From == "(new)" && r.Licenses[0].To == "BSD-3-Clause")
	check("counts grew by one", r.After.Total == r.Before.Total+1 && r.After.Direct == r.Before.Direct+1)
	check("two commits, the bare one flagged", len(r.Commits) == 2 && r.Commits[0].Subject == "bump sampler" && r.Commits[0].Bare && !r.Commits[1].Bare)

	md, _ := os.ReadFile(ReviewFile(dir, "md"))
	for _, want := range []string{"### Added (1)", "- `golang.org/x/sys` v0.0.0-20220412211240-33da011f77ad (direct)", "⚠ one-line message", "| after |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if status := testws.Run(t, dir, "git", "status", "--porcelain"); status != "" {
		t.Errorf("review changed the tree:\n%s", status)
	}

	// An explicit base that does not exist is a usage error.
	_, out = runSteps(t, dir, build.Verify, nil, Review(ReviewConfig{Base: "no-such-ref"}))
	if !strings.Contains(out, `base "no-such-ref" is not a commit`) {
		t.Errorf("bad base:\n%s", out)
	}
}
