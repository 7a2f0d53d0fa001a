// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/hackless/hackless/build"
)

// DefaultYamlfmt is the yamlfmt version yaml runs when no module of the
// repository pins github.com/google/yamlfmt/cmd/yamlfmt.
const DefaultYamlfmt = "v0.17.2"

// yamlfmtConfigs are the names of yamlfmt's configuration file at the
// root, as yamlfmt looks for them.
var yamlfmtConfigs = []string{".yamlfmt", ".yamlfmt.yaml", ".yamlfmt.yml", "yamlfmt.yaml", "yamlfmt.yml"}

// YAML checks that every YAML file of the tree (.yaml and .yml, GitHub
// workflows included) parses, every document of it; and, where the
// repository has a yamlfmt configuration (.yamlfmt, yamlfmt.yaml, … at
// the root), that google/yamlfmt with that configuration would change no
// file, run on a scratch copy so the tree is never touched. Helm chart
// templates (templates/ beside a Chart.yaml) are not YAML until rendered
// and are left out, and so are the path globs of yaml.exclude in
// hackless.yaml. Update writes what yamlfmt formats. yamlfmt is the
// version a module of the tree pins (a tool directive, or a tools.go
// import), else DefaultYamlfmt, built once per machine outside every
// build list.
var YAML = &build.Step{
	Name: "yaml",
	Doc:  "YAML files parse and are formatted as the yamlfmt configuration says",
	Inputs: build.Inputs{Files: append([]string{"**/*.yaml", "**/*.yml", ".github/**/*.yaml", ".github/**/*.yml"},
		yamlfmtConfigs...)},
	Writes: []string{"*.yaml", "*.yml"},
	Run:    runYAML,
}

// yamlLine finds the line in a yaml.v3 error.
var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

func runYAML(pass *build.Pass) error {
	files, err := pass.InputFiles()
	if err != nil {
		return err
	}
	exclude := pass.Config().YAML.Exclude
	charts := make(map[string]bool)
	for _, f := range files {
		if path.Base(f) == "Chart.yaml" {
			charts[path.Join(path.Dir(f), "templates")+"/"] = true
		}
	}
	var checked, parsed []string
	left := 0
	for _, f := range files {
		if ext := path.Ext(f); ext != ".yaml" && ext != ".yml" {
			continue
		}
		if slices.ContainsFunc(exclude, func(g string) bool { return build.MatchGlob(g, f) }) || inChartTemplates(charts, f) {
			left++
			continue
		}
		data, err := pass.ReadFile(f)
		if err != nil {
			return err
		}
		checked = append(checked, f)
		if err := parseYAML(data); err != nil {
			line, msg := 1, err.Error()
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
				msg = m[2]
			}
			pass.Report(build.Finding{Pos: build.Position{File: f, Line: line}, Message: "does not parse as YAML: " + msg,
				Detail: "hint: not YAML on purpose (a template)? leave it out with yaml.exclude in hackless.yaml"})
			continue
		}
		parsed = append(parsed, f)
	}
	if len(checked) == 0 {
		pass.Notef("no YAML files: nothing to check")
		return nil
	}
	note := fmt.Sprintf("%d of %d YAML files parse", len(parsed), len(checked))
	if left > 0 {
		note += fmt.Sprintf(" (%d left out: Helm templates, yaml.exclude)", left)
	}
	config := ""
	for _, c := range yamlfmtConfigs {
		if _, err := pass.Stat(c); err == nil {
			config = c
			break
		}
	}
	if config == "" {
		pass.Notef("%s; formatting is not checked: no yamlfmt configuration (.yamlfmt)", note)
		return nil
	}
	pass.Notef("%s; formatted as %s says", note, config)
	return runYamlfmt(pass, config, parsed)
}

// parseYAML decodes every document of data.
func parseYAML(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func inChartTemplates(charts map[string]bool, f string) bool {
	for dir := path.Dir(f); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if charts[dir+"/"] {
			return true
		}
	}
	return false
}

// runYamlfmt runs yamlfmt with the repository's configuration on a
// scratch copy and proposes what it changed.
func runYamlfmt(pass *build.Pass, config string, files []string) error {
	exe, cleanup, err := pinnedOrDefault(pass, "yamlfmt", "github.com/google/yamlfmt/cmd/yamlfmt", DefaultYamlfmt)
	if err != nil {
		pass.Reportf(build.Position{File: config, Line: 1}, "yamlfmt could not be built, so formatting was not checked: %s", lastLines(err.Error(), 3))
		return nil
	}
	defer cleanup()
	scratch, err := scratchCopy(pass)
	if err != nil {
		return err
	}
	defer removeScratch(scratch)
	// The files that parse; the configuration's excludes apply too.
	cmd := pass.Command(scratch, exe, append([]string{"-conf", filepath.Join(scratch, config)}, files...)...)
	if _, err := pass.Output(cmd); err != nil {
		if pass.Context().Err() != nil {
			return pass.Context().Err()
		}
		pass.Reportf(build.Position{File: config, Line: 1}, "yamlfmt failed: %s", lastLines(err.Error(), 5))
		return nil
	}
	return proposeScratch(pass, scratch, "yamlfmt", nil)
}
