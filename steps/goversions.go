// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"errors"
	"fmt"
	"go/version"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/hackless/hackless/build"
)

// GoVersionFile names the Go release a repository builds with, as etcd
// keeps it: one line, such as 1.25.3.
const GoVersionFile = ".go-version"

// GoVersions checks, in a repository with a .go-version file (etcd's
// convention: one line naming the Go release, such as 1.25.3), that
// everything else that names a Go release agrees with it: every toolchain
// line of go.work and of each go.mod names it; no go line asks for a
// newer Go than it; the literal go-version values of GitHub workflows
// (.github/workflows, as actions/setup-go reads them) equal it; and the
// golang images of Dockerfiles (FROM golang:1.25.3-alpine) carry it.
// Update rewrites toolchain lines, workflow values and image tags. A go
// line newer than .go-version, and an image pinned by digest, need a
// person. Without .go-version there is nothing to check.
var GoVersions = &build.Step{
	Name: "goversions",
	Doc:  "toolchain lines, workflows and Dockerfiles name the Go release of .go-version",
	Inputs: build.Inputs{Files: []string{GoVersionFile, "go.work", "**/go.mod",
		".github/workflows/*.yml", ".github/workflows/*.yaml",
		"**/Dockerfile", "**/Dockerfile.*", "**/*.Dockerfile"}},
	Writes: []string{"go.work", "go.mod", "*.yml", "*.yaml", "Dockerfile", "Dockerfile.*", "*.Dockerfile"},
	Run:    runGoVersions,
}

var (
	// workflowGoVersion is a go-version: key with a literal value.
	workflowGoVersion = regexp.MustCompile(`^(\s*(?:-\s+)?go-version:\s*)(["']?)([0-9][^"'\s#]*)(["']?)(.*)$`)
	// dockerGolang is a FROM line of the golang image with a version tag.
	dockerGolang = regexp.MustCompile(`(?i)^(\s*FROM\s+(?:--platform=\S+\s+)?(?:\S+/)?golang:)([0-9][0-9.]*(?:rc[0-9]+)?)(\S*)(.*)$`)
)

func runGoVersions(pass *build.Pass) error {
	data, err := pass.ReadFile(GoVersionFile)
	if errors.Is(err, fs.ErrNotExist) {
		pass.Notef("no %s: nothing to check", GoVersionFile)
		return nil
	}
	if err != nil {
		return err
	}
	want, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	want = strings.TrimPrefix(strings.TrimSpace(want), "go")
	if !version.IsValid("go"+want) || strings.Count(want, ".") != 2 && !strings.Contains(want, "rc") {
		pass.ReportConfig(build.Finding{Pos: build.Position{File: GoVersionFile, Line: 1},
			Message: fmt.Sprintf("%q is not a Go release; want one such as 1.25.3", want)})
		return nil
	}
	files, err := pass.InputFiles()
	if err != nil {
		return err
	}
	checked := 0
	for _, rel := range files {
		var err error
		switch base := path.Base(rel); {
		case base == "go.mod" || rel == "go.work":
			err = checkModVersions(pass, rel, want)
		case strings.HasPrefix(rel, ".github/workflows/"):
			err = checkLines(pass, rel, want, workflowGoVersion, "go-version")
		case rel != GoVersionFile:
			err = checkLines(pass, rel, want, dockerGolang, "the golang image")
		default:
			continue
		}
		if err != nil {
			return err
		}
		checked++
	}
	pass.Notef("%d files checked against %s's Go %s", checked, GoVersionFile, want)
	return nil
}

// checkModVersions checks a go.mod's or go.work's go and toolchain lines.
func checkModVersions(pass *build.Pass, rel, want string) error {
	data, err := pass.ReadFile(rel)
	if err != nil {
		return err
	}
	var goLine *modfile.Go
	var toolchain *modfile.Toolchain
	var setToolchain func(string) error
	var format func() []byte
	if rel == "go.work" {
		wf, err := modfile.ParseWork(rel, data, nil)
		if err != nil {
			return nil // workspace reports it
		}
		goLine, toolchain, setToolchain, format = wf.Go, wf.Toolchain, wf.AddToolchainStmt, func() []byte { return modfile.Format(wf.Syntax) }
	} else {
		mf, err := modfile.Parse(rel, data, nil)
		if err != nil {
			return nil // the go command reports it, in every step
		}
		goLine, toolchain, setToolchain, format = mf.Go, mf.Toolchain, mf.AddToolchainStmt, func() []byte { return modfile.Format(mf.Syntax) }
	}
	if goLine != nil && version.Compare("go"+goLine.Version, "go"+want) > 0 {
		pass.Report(build.Finding{Pos: build.Position{File: rel, Line: goLine.Syntax.Start.Line},
			Message: fmt.Sprintf("go %s asks for a newer Go than %s's %s", goLine.Version, GoVersionFile, want),
			Detail:  "hint: raise " + GoVersionFile + " (and run go tool mage update -what=goversions), or lower the go line"})
	}
	if toolchain == nil || toolchain.Name == "go"+want {
		return nil
	}
	pass.ReportFixable(build.Finding{Pos: build.Position{File: rel, Line: toolchain.Syntax.Start.Line},
		Message: fmt.Sprintf("toolchain %s is not %s's go%s", toolchain.Name, GoVersionFile, want)})
	if err := setToolchain("go" + want); err != nil {
		return err
	}
	return pass.Propose(rel, format(), "toolchain go"+want)
}

// checkLines checks and rewrites the lines of a file that re matches:
// its third group (the version) must be want. A golang image pinned by
// digest is reported, not rewritten: the digest must change with it.
func checkLines(pass *build.Pass, rel, want string, re *regexp.Regexp, what string) error {
	data, err := pass.ReadFile(rel)
	if err != nil {
		return err
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	changed := false
	for i, line := range lines {
		text := strings.TrimRight(string(line), "\r\n")
		m := re.FindStringSubmatchIndex(text)
		if m == nil {
			continue
		}
		got := text[m[4]:m[5]]
		if re == workflowGoVersion {
			got = text[m[6]:m[7]]
		}
		if got == want {
			continue
		}
		pos := build.Position{File: rel, Line: i + 1}
		msg := fmt.Sprintf("%s %s is not %s's %s", what, got, GoVersionFile, want)
		if re == dockerGolang && strings.Contains(text[m[6]:m[7]], "@") {
			pass.Report(build.Finding{Pos: pos, Message: msg, Detail: "hint: the image is pinned by digest: change the tag and the digest together"})
			continue
		}
		pass.ReportFixable(build.Finding{Pos: pos, Message: msg})
		if re == workflowGoVersion {
			text = text[:m[6]] + want + text[m[7]:]
		} else {
			text = text[:m[4]] + want + text[m[5]:]
		}
		lines[i] = []byte(text + string(line[len(strings.TrimRight(string(line), "\r\n")):]))
		changed = true
	}
	if !changed {
		return nil
	}
	return pass.Propose(rel, bytes.Join(lines, nil), what+" "+want)
}
