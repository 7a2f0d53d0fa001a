// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/jsonfile"
)

// DefaultGovulncheck is the govulncheck version vulnerabilities runs when
// no module of the repository pins golang.org/x/vuln/cmd/govulncheck.
const DefaultGovulncheck = "v1.2.0"

// DefaultAcceptedVulns is where accepted vulnerabilities are listed
// unless vulnerabilities.accepted in hackless.yaml says otherwise.
const DefaultAcceptedVulns = "hack/accepted-vulnerabilities.json"

// Vulnerabilities checks the workspace for known vulnerabilities with
// govulncheck (golang.org/x/vuln) at the symbol level: only a vulnerable
// function that the workspace's code can actually call is a finding, at
// the call in the workspace, with the module version that fixes it. A
// vulnerability in the build list that no code reaches is only counted.
// The database is vulnerabilities.db of hackless.yaml: a URL
// (https://vuln.go.dev; its answers change, so such a pass is never
// cached) or a directory with a copy of the database, for offline runs
// (then the pass is cached until the copy changes). Without a database
// nothing is checked. hack/accepted-vulnerabilities.json (or
// vulnerabilities.accepted) maps vulnerability IDs to the reason each is
// accepted: a ratchet, so an accepted ID that is no longer found is a
// finding too, and update removes it. govulncheck is the version a module
// of the tree pins, else DefaultGovulncheck, built once per machine
// outside every build list.
var Vulnerabilities = &build.Step{
	Name:   "vulnerabilities",
	Doc:    "no code calls a function with a known vulnerability (govulncheck)",
	Inputs: build.Inputs{Files: []string{DefaultAcceptedVulns}, Tools: []build.Tool{build.GoCommand}, Go: true},
	Writes: []string{"*.json"},
	Run:    runVulns,
}

// govulnMessage is one message of govulncheck -json.
type govulnMessage struct {
	OSV *struct {
		ID       string   `json:"id"`
		Summary  string   `json:"summary"`
		Aliases  []string `json:"aliases"`
		Affected []struct {
			Package struct{ Name string } `json:"package"`
		} `json:"affected"`
	} `json:"osv"`
	Finding *struct {
		OSV          string        `json:"osv"`
		FixedVersion string        `json:"fixed_version"`
		Trace        []govulnFrame `json:"trace"`
	} `json:"finding"`
}

type govulnFrame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
	Position *struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
	} `json:"position"`
}

func runVulns(pass *build.Pass) error {
	cfg := pass.Config().Vulnerabilities
	if cfg.DB == "" {
		pass.Notef("not checked: vulnerabilities.db in hackless.yaml names no database (https://vuln.go.dev, or a directory with a copy)")
		return nil
	}
	db := cfg.DB
	if strings.Contains(db, "://") {
		pass.NotCached("the database at " + db + " may have changed")
	} else {
		dir := db
		if !filepath.IsAbs(dir) {
			dir = pass.Workspace.Abs(dir)
		}
		// The copy's index keys the cached result.
		for _, f := range []string{"db.json", "modules.json"} {
			if _, err := pass.ReadFile(filepath.Join(dir, "index", f)); err != nil {
				pass.ReportConfig(build.Finding{Pos: build.Position{File: "hackless.yaml", Line: pass.Config().Line("vulnerabilities", "db")}, Message: fmt.Sprintf("vulnerabilities.db: %s has no index/%s: not a copy of the Go vulnerability database", db, f)})
				return nil
			}
		}
		db = "file://" + filepath.ToSlash(dir)
	}
	acceptedFile := cmp.Or(cfg.Accepted, DefaultAcceptedVulns)
	accepted, acceptedData, err := readAccepted(pass, acceptedFile)
	if err != nil || pass.Context().Err() != nil {
		return err
	}
	if accepted == nil && acceptedData != nil {
		return nil // reported
	}
	exe, cleanup, err := pinnedOrDefault(pass, "govulncheck", "golang.org/x/vuln/cmd/govulncheck", DefaultGovulncheck)
	if err != nil {
		pass.Reportf(build.Position{File: "hackless.yaml", Line: 1}, "govulncheck could not be built, so no vulnerability was checked: %s", lastLines(err.Error(), 3))
		return nil
	}
	defer cleanup()
	cmd := pass.Command(".", exe, append([]string{"-db", db, "-json"}, modulePatterns(pass)...)...)
	out, err := pass.Output(cmd)
	if err != nil {
		return reportGoError(pass, "govulncheck", ".", err, build.Position{File: "go.work", Line: 1})
	}
	summaries := make(map[string]string)
	type call struct {
		id  string
		pos build.Position
	}
	calls := make(map[call]string) // -> what is called, and the fix
	reachedIDs, listed := make(map[string]bool), make(map[string]bool)
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var m govulnMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("read govulncheck -json: %w", err)
		}
		if m.OSV != nil {
			s := m.OSV.Summary
			if len(m.OSV.Aliases) > 0 {
				s = strings.Join(m.OSV.Aliases, ", ") + ": " + s
			}
			summaries[m.OSV.ID] = s
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 {
			continue
		}
		listed[f.OSV] = true
		vuln := f.Trace[0]
		if vuln.Function == "" {
			continue // in the build list, or imported, but not called
		}
		reachedIDs[f.OSV] = true
		pos := vulnCaller(pass, f.Trace)
		fix := "no fixed version yet"
		if f.FixedVersion != "" {
			fix = "fixed in " + f.FixedVersion
		}
		calls[call{f.OSV, pos}] = fmt.Sprintf("%s %s (%s), %s", vuln.Module, vuln.Version, symbol(vuln), fix)
	}
	keys := slices.SortedFunc(maps.Keys(calls), func(a, b call) int {
		return strings.Compare(a.pos.String()+a.id, b.pos.String()+b.id)
	})
	for _, c := range keys {
		if _, ok := accepted[c.id]; ok {
			continue
		}
		what := calls[c]
		mod, _, _ := strings.Cut(what, " ")
		detail := fmt.Sprintf("hint: upgrade %s (go tool mage update:pin %s <version>), or accept it with the reason in %s", mod, mod, acceptedFile)
		pass.Report(build.Finding{Pos: c.pos, Message: fmt.Sprintf("calls code with vulnerability %s (%s): %s", c.id, summaries[c.id], what), Detail: detail})
	}
	for _, id := range slices.Sorted(maps.Keys(reachedIDs)) {
		if reason, ok := accepted[id]; ok {
			pass.Notef("%s is called but accepted: %s", id, reason)
		}
	}
	// The ratchet: an accepted vulnerability that is no longer called.
	var stale []string
	for _, id := range slices.Sorted(maps.Keys(accepted)) {
		if !reachedIDs[id] {
			stale = append(stale, id)
		}
	}
	if len(stale) > 0 {
		for _, id := range stale {
			line := jsonfile.Line(acceptedData, int64(bytes.Index(acceptedData, []byte(strconv.Quote(id)))))
			pass.ReportFixable(build.Finding{Pos: build.Position{File: acceptedFile, Line: line}, Message: fmt.Sprintf("%s is accepted but no code calls it any more: remove it", id)})
			delete(accepted, id)
		}
		data, err := json.MarshalIndent(accepted, "", "  ")
		if err != nil {
			return err
		}
		if err := pass.Propose(acceptedFile, append(data, '\n'), "accepted vulnerabilities"); err != nil {
			return err
		}
	}
	pass.Notef("%d known vulnerabilities in the build list, %d called (govulncheck, symbol level)", len(listed), len(reachedIDs))
	return nil
}

// readAccepted reads the accepted vulnerabilities; a malformed file, or
// an entry without a reason, is reported (nil map, non-nil data).
func readAccepted(pass *build.Pass, file string) (map[string]string, []byte, error) {
	data, err := pass.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var accepted map[string]string
	if err := jsonfile.Decode(file, data, &accepted); err != nil {
		reportConfigError(pass, file, err)
		return nil, data, nil
	}
	for _, id := range slices.Sorted(maps.Keys(accepted)) {
		if strings.TrimSpace(accepted[id]) == "" {
			line := jsonfile.Line(data, int64(bytes.Index(data, []byte(strconv.Quote(id)))))
			pass.ReportConfig(build.Finding{Pos: build.Position{File: file, Line: line}, Message: id + " is accepted without a reason"})
			return nil, data, nil
		}
	}
	return accepted, data, nil
}

// vulnCaller returns where the workspace's code is in a trace: the
// position of the frame nearest the vulnerable function that belongs to
// a workspace module.
func vulnCaller(pass *build.Pass, trace []govulnFrame) build.Position {
	ws := pass.Workspace
	for _, fr := range trace[1:] {
		m := ws.ModuleByPath(fr.Module)
		if m == nil || fr.Position == nil {
			continue
		}
		file := filepath.ToSlash(fr.Position.Filename)
		if !filepath.IsAbs(fr.Position.Filename) {
			file = path.Join(m.Rel, file)
		} else {
			file = ws.Rel(fr.Position.Filename)
		}
		return build.Position{File: file, Line: fr.Position.Line, Col: fr.Position.Column}
	}
	return build.Position{File: "go.work", Line: 1}
}

// symbol names a frame's function as pkg.Func or pkg.Type.Method.
func symbol(fr govulnFrame) string {
	if fr.Receiver != "" {
		return fr.Package + "." + strings.TrimPrefix(fr.Receiver, "*") + "." + fr.Function
	}
	return fr.Package + "." + fr.Function
}
