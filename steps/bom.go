// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/jsonfile"
	"github.com/hackless/hackless/internal/licenses"
)

// BOMFile and BOMOverrideFile are etcd's bill of materials and its
// overrides, in the format of license-bill-of-materials.
const (
	BOMFile         = "bill-of-materials.json"
	BOMOverrideFile = "bill-of-materials.override.json"
)

// BOM checks etcd's bill of materials, bill-of-materials.json (the format
// of github.com/coreos/license-bill-of-materials: a JSON array of
// {"project", "licenses": [{"type", "confidence"}]}), a second license
// database beside Kubernetes's LICENSES/: every dependency module the
// workspace ships (as verify:licenses finds them) must be recorded, by
// its module path or a package path in it, and every recorded project
// must still ship (entries for the workspace's own modules may stay).
// Update rewrites the file: recorded entries are kept as they are, a new
// module gets the license that bill-of-materials.override.json gives its
// project, else the one github.com/google/licensecheck identifies, with
// its confidence; entries that no longer ship are removed. Without
// bill-of-materials.json there is nothing to check (to start one: echo
// '[]' > bill-of-materials.json && go tool mage update:bom).
var BOM = &build.Step{
	Name: "bom",
	Doc:  "bill-of-materials.json records every shipped dependency (etcd's format)",
	Inputs: build.Inputs{
		Files:   []string{BOMFile, BOMOverrideFile},
		Headers: []string{"**/*.go"},
		Tools:   []build.Tool{build.GoCommand},
		Go:      true,
	},
	Writes: []string{BOMFile},
	Run:    runBOM,
}

// bomProject is one entry of a bill of materials.
type bomProject struct {
	Project  string       `json:"project"`
	Licenses []bomLicense `json:"licenses"`
}

type bomLicense struct {
	Type       string  `json:"type"`
	Confidence float64 `json:"confidence"`
}

// bomNames are license-bill-of-materials's names of common licenses.
var bomNames = map[string]string{
	"Apache-2.0":   "Apache License 2.0",
	"MIT":          "MIT License",
	"BSD-3-Clause": `BSD 3-clause "New" or "Revised" License`,
	"BSD-2-Clause": `BSD 2-clause "Simplified" License`,
	"ISC":          "ISC License",
	"MPL-2.0":      "Mozilla Public License 2.0",
}

func runBOM(pass *build.Pass) error {
	data, err := pass.ReadFile(BOMFile)
	if errors.Is(err, fs.ErrNotExist) {
		pass.Notef("no %s: nothing to check (to start one: echo '[]' > %s && go tool mage update -what=bom)", BOMFile, BOMFile)
		return nil
	}
	if err != nil {
		return err
	}
	var recorded []bomProject
	if err := jsonfile.Decode(BOMFile, data, &recorded); err != nil {
		reportConfigError(pass, BOMFile, err)
		return nil
	}
	var overrides []bomProject
	if odata, err := pass.ReadFile(BOMOverrideFile); err == nil {
		if err := jsonfile.Decode(BOMOverrideFile, odata, &overrides); err != nil {
			reportConfigError(pass, BOMOverrideFile, err)
			return nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	mods, broken, err := shippedModules(pass)
	if err != nil {
		return reportGoError(pass, "go list -deps", "", err, build.Position{File: "go.work", Line: 1})
	}
	if len(broken) > 0 {
		pass.Reportf(build.Position{File: BOMFile, Line: 1}, "%d packages do not load, so the modules that provide them are not known and the bill of materials cannot be checked: verify:licenses names them", len(broken))
		return nil
	}
	ws := pass.Workspace
	// owner returns the module, shipped or of the workspace, that holds a
	// project: the longest module path that is the project or a prefix.
	owner := func(project string) (string, bool) {
		best, shippedMod := "", false
		consider := func(p string, ships bool) {
			if (project == p || strings.HasPrefix(project, p+"/")) && len(p) > len(best) {
				best, shippedMod = p, ships
			}
		}
		for _, m := range mods {
			consider(m.path, true)
		}
		for _, m := range ws.Modules {
			consider(m.Path, false)
		}
		return best, shippedMod
	}
	covered := make(map[string]bool)
	var keep []bomProject
	changed := false
	for _, p := range recorded {
		mod, ships := owner(p.Project)
		if mod == "" {
			line := jsonfile.Line(data, int64(bytes.Index(data, []byte(strconv.Quote(p.Project)))))
			pass.ReportFixable(build.Finding{Pos: build.Position{File: BOMFile, Line: line}, Message: fmt.Sprintf("%s is recorded but no longer ships", p.Project)})
			changed = true
			continue
		}
		if ships {
			covered[mod] = true
		}
		keep = append(keep, p)
	}
	identify := classifier(pass)
	for _, m := range mods {
		if covered[m.path] {
			continue
		}
		entry, err := bomEntry(pass, identify, m, overrides)
		if err != nil {
			return err
		}
		if entry == nil {
			continue // reported
		}
		pass.ReportFixable(build.Finding{Pos: build.Position{File: BOMFile, Line: 1},
			Message: fmt.Sprintf("%s %s ships but is not recorded (pulled in by %s)", m.path, m.describeVersion(ws), chainString(m.chain))})
		keep = append(keep, *entry)
		changed = true
	}
	pass.Notef("%d shipped dependency modules, %d projects recorded", len(mods), len(recorded))
	if !changed {
		return nil // the file is left as it is written
	}
	slices.SortStableFunc(keep, func(a, b bomProject) int { return strings.Compare(a.Project, b.Project) })
	out, err := json.MarshalIndent(keep, "", bomIndent(data))
	if err != nil {
		return err
	}
	return pass.Propose(BOMFile, append(out, '\n'), "bill of materials")
}

// bomEntry is the entry update records for a module: its override, else
// the license licensecheck identifies. A module whose license cannot be
// told is a finding that asks for an override, and nil.
func bomEntry(pass *build.Pass, identify *licenses.Classifier, m *shipped, overrides []bomProject) (*bomProject, error) {
	if i := slices.IndexFunc(overrides, func(o bomProject) bool { return o.Project == m.path }); i >= 0 {
		return &bomProject{Project: m.path, Licenses: overrides[i].Licenses}, nil
	}
	var f *licenses.File
	if m.dir != "" {
		var err error
		if f, err = licenses.Find(m.dir); err != nil {
			return nil, err
		}
	}
	var ids []string
	var coverage float64
	if f != nil {
		ids, coverage = identify.Identify(f.Data)
	}
	if len(ids) == 0 {
		pass.Reportf(build.Position{File: BOMFile, Line: 1}, "%s ships, but its license cannot be identified: record it in %s", m.path, BOMOverrideFile)
		return nil, nil
	}
	e := &bomProject{Project: m.path}
	for _, id := range ids {
		name := bomNames[id]
		if name == "" {
			name = id
		}
		e.Licenses = append(e.Licenses, bomLicense{Type: name, Confidence: coverage / 100})
	}
	return e, nil
}

// bomIndent is the indentation of a bill of materials' first nested
// line: etcd's files use two spaces, others a tab.
func bomIndent(data []byte) string {
	for line := range bytes.Lines(data) {
		if trimmed := bytes.TrimLeft(line, " \t"); len(trimmed) < len(line) {
			return string(line[:len(line)-len(trimmed)])
		}
	}
	return "  "
}
