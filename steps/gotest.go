// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/hackless/hackless/build"
)

// TestConfig selects what GoTest runs.
type TestConfig struct {
	Race     bool     // -race
	Short    bool     // -short
	Run      string   // -run
	Packages []string // package patterns; none means every package of every workspace module
}

// GoTest returns a step that runs the tests of every workspace module in one
// `go test -json` invocation (the `work` pattern), or of cfg.Packages. It
// notes a line per package, reports each failed test at the last line its
// output points to, with that output, reports build failures as such,
// and records every test as a JUnit test case.
func GoTest(cfg TestConfig) *build.Step {
	return &build.Step{
		Name:   "test",
		Doc:    "the tests of every workspace module pass",
		Inputs: build.Inputs{Files: append([]string{"**/*.go", "**/testdata/**"}, goModFiles...), Tools: []build.Tool{build.GoCommand}},
		// go test caches each package's result itself, keyed on the files
		// and variables the test opened, which hackless cannot see.
		Uncached: true,
		Run:      func(pass *build.Pass) error { return runTests(pass, cfg) },
	}
}

// testEvent is one line of `go test -json` (cmd/test2json), including the
// build events of Go 1.24 and later.
type testEvent struct {
	Action      string
	Package     string
	ImportPath  string
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
}

type testResult struct {
	name    string
	action  string // pass, fail, skip
	elapsed float64
	output  []string
}

type packageResult struct {
	action      string // pass, fail, skip
	elapsed     float64
	failedBuild string
	output      []string
	tests       map[string]*testResult
	order       []string
}

func runTests(pass *build.Pass, cfg TestConfig) error {
	args := []string{"test", "-json"}
	if cfg.Race {
		args = append(args, "-race")
	}
	if cfg.Short {
		args = append(args, "-short")
	}
	if cfg.Run != "" {
		args = append(args, "-run="+cfg.Run)
	}
	if len(cfg.Packages) == 0 {
		args = append(args, "work")
	} else {
		args = append(args, cfg.Packages...)
	}
	cmd := pass.Command(".", "go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	pkgs, builds, parseErr := parseTestEvents(stdout)
	runErr := cmd.Wait()
	if pass.Context().Err() != nil {
		return pass.Context().Err()
	}
	if parseErr != nil {
		return parseErr
	}
	failures := reportTests(pass, pkgs, builds)
	if runErr != nil && failures == 0 {
		return fmt.Errorf("go test: %w\n%s", runErr, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func parseTestEvents(r io.Reader) (map[string]*packageResult, map[string][]string, error) {
	pkgs := make(map[string]*packageResult)
	builds := make(map[string][]string) // import path -> build output, for failed builds
	buildOut := make(map[string][]string)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var e testEvent
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, nil, fmt.Errorf("parse go test -json output: %w: %s", err, line)
		}
		switch e.Action {
		case "build-output":
			buildOut[e.ImportPath] = append(buildOut[e.ImportPath], strings.TrimRight(e.Output, "\n"))
			continue
		case "build-fail":
			builds[e.ImportPath] = buildOut[e.ImportPath]
			continue
		}
		p := pkgs[e.Package]
		if p == nil {
			p = &packageResult{tests: make(map[string]*testResult)}
			pkgs[e.Package] = p
		}
		if e.Test == "" {
			switch e.Action {
			case "output":
				p.output = append(p.output, strings.TrimRight(e.Output, "\n"))
			case "pass", "fail", "skip":
				p.action, p.elapsed, p.failedBuild = e.Action, e.Elapsed, e.FailedBuild
			}
			continue
		}
		t := p.tests[e.Test]
		if t == nil {
			t = &testResult{name: e.Test}
			p.tests[e.Test] = t
			p.order = append(p.order, e.Test)
		}
		switch e.Action {
		case "output":
			t.output = append(t.output, strings.TrimRight(e.Output, "\n"))
		case "pass", "fail", "skip":
			t.action, t.elapsed = e.Action, e.Elapsed
		}
	}
	return pkgs, builds, sc.Err()
}

var testPosRE = regexp.MustCompile(`^\s+(\S+\.go):(\d+): `)

// reportTests turns the parsed events into notes, findings and test cases,
// and returns how many failures it reported.
func reportTests(pass *build.Pass, pkgs map[string]*packageResult, builds map[string][]string) int {
	dirs := make(map[string]string) // import path -> root-relative directory
	if list, err := pass.Workspace.Packages(pass.Context()); err == nil {
		for _, p := range list {
			dirs[p.ImportPath] = pass.Workspace.Rel(p.Dir)
		}
	}
	failures := 0
	rel := func(p string) string { return pass.Workspace.Rel(pass.Workspace.Abs(p)) }
	for _, ip := range slices.Sorted(maps.Keys(builds)) {
		failures++
		var msgs []string
		for _, line := range builds[ip] {
			if f, ok := parsePos(line, rel); ok {
				f.Message = "build failed: " + f.Message
				pass.Report(f)
				msgs = append(msgs, f.String())
			}
		}
		if len(msgs) == 0 {
			pass.Report(build.Finding{Message: "build of " + ip + " failed", Detail: strings.Join(builds[ip], "\n")})
			msgs = builds[ip]
		}
		pass.AddTestCase(build.JUnitCase{Classname: ip, Name: "[build]", Failure: &build.JUnitMessage{Message: "build failed", Text: strings.Join(msgs, "\n")}})
	}
	for _, name := range slices.Sorted(maps.Keys(pkgs)) {
		p := pkgs[name]
		failed := 0
		for _, tn := range p.order {
			t := p.tests[tn]
			c := build.JUnitCase{Classname: name, Name: tn, Time: t.elapsed, SystemOut: strings.Join(t.output, "\n")}
			switch t.action {
			case "fail":
				failed++
				c.Failure = &build.JUnitMessage{Message: tn + " failed", Text: strings.Join(t.output, "\n")}
				if !hasFailedSubtest(p, tn) {
					failures++
					pass.Report(testFinding(name, dirs[name], t))
				}
			case "skip":
				c.Skipped = &build.JUnitMessage{Message: tn + " skipped"}
			}
			pass.AddTestCase(c)
		}
		switch {
		case p.failedBuild != "":
			pass.Notef("FAIL  %s [build failed: %s]", name, p.failedBuild)
		case p.action == "fail":
			pass.Notef("FAIL  %s %.3fs (%d failed)", name, p.elapsed, failed)
			if failed == 0 {
				// Failed outside any test: TestMain, a panic in init, a timeout.
				failures++
				pass.Report(build.Finding{Pos: build.Position{File: dirs[name]}, Message: name + " failed outside a test", Detail: strings.Join(p.output, "\n")})
			}
		case p.action == "skip" || len(p.order) == 0:
			pass.Notef("?     %s [no test files]", name)
		default:
			pass.Notef("ok    %s %.3fs", name, p.elapsed)
		}
	}
	return failures
}

func hasFailedSubtest(p *packageResult, name string) bool {
	for tn, t := range p.tests {
		if strings.HasPrefix(tn, name+"/") && t.action == "fail" {
			return true
		}
	}
	return false
}

// testFinding points at the last file:line of a failed test's output.
func testFinding(pkg, dir string, t *testResult) build.Finding {
	f := build.Finding{Message: fmt.Sprintf("%s failed (%s)", t.name, pkg)}
	var detail []string
	for _, line := range t.output {
		if strings.HasPrefix(line, "=== ") {
			continue
		}
		detail = append(detail, line)
		// The last position: logging usually comes before the failure.
		if m := testPosRE.FindStringSubmatch(line); m != nil {
			f.Pos.File = path.Join(dir, m[1])
			fmt.Sscan(m[2], &f.Pos.Line)
		}
	}
	f.Detail = strings.Join(detail, "\n")
	return f
}
