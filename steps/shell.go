// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/hackless/hackless/build"
)

// DefaultShfmt is the shfmt version shell runs when no module of the
// repository pins mvdan.cc/sh/v3/cmd/shfmt.
const DefaultShfmt = "v3.10.0"

// Shell checks the shell scripts of the tree (.sh and .bash files) with
// shfmt, the formatter built on mvdan.cc/sh: every script must parse,
// and, where the repository's .editorconfig has a section for shell
// scripts ([*.sh], [*.{sh,bash}] or [*]), be formatted as shfmt formats
// it with those settings (indent_style, indent_size, binary_next_line,
// switch_case_indent, space_redirects, keep_padding, function_next_line).
// Without such a section only parsing is checked, so a repository that
// never chose a shell style is not asked to reformat. Update formats the
// scripts. shfmt is the version a module of the tree pins (a tool
// directive, or a tools.go import), else DefaultShfmt, built once per
// machine outside every build list: mvdan.cc/sh never joins the
// workspace's build list.
var Shell = &build.Step{
	Name:   "shell",
	Doc:    "shell scripts parse and are formatted as .editorconfig says (shfmt)",
	Inputs: build.Inputs{Files: []string{"**/*.sh", "**/*.bash", "**/.editorconfig"}},
	Writes: []string{"*.sh", "*.bash"},
	Run:    runShell,
}

// shfmtBatch bounds the files named on one shfmt command line.
const shfmtBatch = 500

func runShell(pass *build.Pass) error {
	all, err := pass.InputFiles()
	if err != nil {
		return err
	}
	var scripts []string
	for _, f := range all {
		if ext := path.Ext(f); ext == ".sh" || ext == ".bash" {
			scripts = append(scripts, f)
		}
	}
	if len(scripts) == 0 {
		pass.Notef("no shell scripts (.sh, .bash): nothing to check")
		return nil
	}
	style, err := shellStyle(pass)
	if err != nil {
		return err
	}
	shfmt, cleanup, err := pinnedOrDefault(pass, "shfmt", "mvdan.cc/sh/v3/cmd/shfmt", DefaultShfmt)
	if err != nil {
		pass.Reportf(build.Position{File: scripts[0]}, "shfmt could not be built, so no shell script was checked: %s", lastLines(err.Error(), 3))
		return nil
	}
	defer cleanup()
	var unformatted []string
	for start := 0; start < len(scripts); start += shfmtBatch {
		batch := scripts[start:min(start+shfmtBatch, len(scripts))]
		cmd := pass.Command(".", shfmt, append([]string{"-l"}, batch...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runErr := cmd.Run()
		if err := pass.Context().Err(); err != nil {
			return err
		}
		for line := range strings.Lines(stderr.String()) {
			line = strings.TrimSpace(line)
			if m := scriptFileLine.FindStringSubmatch(line); m != nil {
				pass.Report(build.Finding{Pos: build.Position{File: filepath.ToSlash(m[1]), Line: atoi(m[2]), Col: atoi(m[3])}, Message: "does not parse: " + m[4]})
			} else if line != "" {
				return fmt.Errorf("shfmt: %s", line)
			}
		}
		var exit *exec.ExitError
		if runErr != nil && !errors.As(runErr, &exit) {
			return fmt.Errorf("shfmt: %w", runErr)
		}
		for line := range strings.Lines(stdout.String()) {
			if f := strings.TrimRight(line, "\n"); f != "" {
				unformatted = append(unformatted, filepath.ToSlash(f))
			}
		}
	}
	if style == "" {
		pass.Notef("%d shell scripts parse; formatting is not checked: no .editorconfig section for shell scripts ([*.sh])", len(scripts))
		return nil
	}
	for _, rel := range unformatted {
		out, err := pass.Output(pass.Command(".", shfmt, rel))
		if err != nil {
			return err
		}
		pass.ReportFixable(build.Finding{Pos: build.Position{File: rel, Line: 1}, Message: "not formatted as shfmt formats it with the settings of " + style})
		if err := pass.Propose(rel, out, "shfmt"); err != nil {
			return err
		}
	}
	pass.Notef("%d shell scripts checked with the settings of %s", len(scripts), style)
	return nil
}

// shellStyle returns the .editorconfig (with its line) whose section
// applies to shell scripts, or "" when the root's .editorconfig has none.
func shellStyle(pass *build.Pass) (string, error) {
	data, err := pass.ReadFile(".editorconfig")
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
			continue
		}
		glob := strings.Trim(line, "[]")
		if glob == "*" || glob == "**" || strings.Contains(glob, "sh") {
			return fmt.Sprintf(".editorconfig:%d", n), nil
		}
	}
	return "", nil
}
