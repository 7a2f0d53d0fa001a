// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"cmp"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hackless/hackless/build"
)

// Gofmt checks that every Go file of the workspace's modules is formatted
// as `gofmt -s` formats it. Files under vendor, testdata, _output and hidden
// directories are left out. Update rewrites the files. A file that does not
// parse is reported at the syntax error, which only a person can fix.
//
// A generated file ("Code generated … DO NOT EDIT") that gofmt would
// change is reported naming its generator, and never edited: the fix
// belongs in the generator. gofmt.generated: skip in hackless.yaml leaves
// generated files out instead. Without that setting, a repository whose
// golangci configuration exempts generated files from its formatters
// (golangci v2's formatters.exclusions.generated, lax unless set to
// disable; v1's issues.exclude-generated, the same) gets them left out
// too, as its own check leaves them, and the summary says so.
var Gofmt = &build.Step{
	Name:   "gofmt",
	Doc:    "Go files are formatted with gofmt -s",
	Inputs: build.Inputs{Files: append([]string{"**/*.go", "go.work", "**/go.mod"}, golangciInputs...), Tools: []build.Tool{build.GoCommand}},
	Writes: []string{"*.go"},
	Scope:  build.ScopeModule,
	Run:    runGofmt,
}

// gofmtBatch bounds the files named on one gofmt command line.
const gofmtBatch = 500

func runGofmt(pass *build.Pass) error {
	files, err := moduleFiles(pass)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		pass.Logf("no Go files")
		return nil
	}
	// GOWORK=off: go env needs no workspace, and this also works while
	// go.work is broken.
	cmd := pass.Command(".", "go", "env", "GOROOT")
	cmd.Env = append(cmd.Env, "GOWORK=off")
	goroot, err := pass.Output(cmd)
	if err != nil {
		return err
	}
	gofmt := filepath.Join(strings.TrimSpace(string(goroot)), "bin", "gofmt")
	skipGenerated, why := pass.Config().Gofmt.Generated == "skip", "gofmt.generated: skip"
	if pass.Config().Gofmt.Generated == "" {
		skipGenerated, why = golangciExemptsGenerated(pass)
	}
	skipped := 0
	defer func() {
		if skipped > 0 {
			pass.Notef("%d generated files gofmt would change left out (%s)", skipped, why)
		}
	}()
	for start := 0; start < len(files); start += gofmtBatch {
		batch := files[start:min(start+gofmtBatch, len(files))]
		cmd := pass.Command(".", gofmt, append([]string{"-s", "-l"}, batch...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runErr := cmd.Run()
		if pass.Context().Err() != nil {
			return pass.Context().Err()
		}
		// Syntax errors go to stderr (exit 2); the other files are still listed.
		for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			if f, ok := parsePos(line, filepath.ToSlash); ok {
				f.Message = "syntax error: " + f.Message
				pass.Report(f)
			} else if line != "" {
				return fmt.Errorf("gofmt: %s", line)
			}
		}
		if runErr != nil && stderr.Len() == 0 {
			return fmt.Errorf("gofmt: %w", runErr)
		}
		// One file per line: a name may hold spaces.
		for _, f := range strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n") {
			if f == "" {
				continue
			}
			rel := filepath.ToSlash(f)
			data, err := pass.ReadFile(rel)
			if err != nil {
				return err
			}
			if isGenerated(data) {
				if skipGenerated {
					skipped++
					continue
				}
				gen := "its generator"
				if m := generatedByRE.FindSubmatch(data); m != nil {
					gen = string(m[1])
				}
				pass.Reportf(build.Position{File: rel, Line: 1}, "generated file not formatted with gofmt -s: fix %s to emit gofmt'ed code and regenerate (or set gofmt.generated: skip in hackless.yaml); update leaves generated files alone", gen)
				continue
			}
			formatted, err := pass.Output(pass.Command(".", gofmt, "-s", f))
			if err != nil {
				return err
			}
			if err := pass.Propose(rel, formatted, "not formatted with gofmt -s"); err != nil {
				return err
			}
		}
	}
	return nil
}

// golangciExemptsGenerated reports whether the repository's golangci
// configuration leaves generated files out of its formatters, and which
// setting says so: golangci v2's formatters.exclusions.generated and v1's
// issues.exclude-generated are lax (generated files left out) unless set
// to disable.
func golangciExemptsGenerated(pass *build.Pass) (bool, string) {
	var doc struct {
		Version    string `yaml:"version"`
		Formatters struct {
			Exclusions struct {
				Generated string `yaml:"generated"`
			} `yaml:"exclusions"`
		} `yaml:"formatters"`
		Issues struct {
			ExcludeGenerated string `yaml:"exclude-generated"`
		} `yaml:"issues"`
	}
	config := decodeGolangci(pass, &doc)
	if config == "" {
		return false, ""
	}
	if strings.HasPrefix(doc.Version, "2") {
		g := doc.Formatters.Exclusions.Generated
		return g != "disable", fmt.Sprintf("%s: formatters.exclusions.generated is %s", config, cmp.Or(g, "lax, the default"))
	}
	g := doc.Issues.ExcludeGenerated
	return g != "disable", fmt.Sprintf("%s: issues.exclude-generated is %s", config, cmp.Or(g, "lax, the default"))
}
