// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/hackless/hackless/build"
)

// goErrorHints are one-line hints for the go command's errors that do not
// carry their own fix, keyed by a fragment of the message.
var goErrorHints = []struct{ fragment, hint string }{
	{"ambiguous import", "two modules of the build list provide this package (often an old monolithic module beside its split successors): require a version of the old module that no longer holds the package, or drop the requirement that pulls it in, then go tool mage update:tidy"},
	{"missing go.sum entry", "go tool mage update:tidy adds the missing checksums"},
	{"no required module provides package", "add the requirement: go get <module> in this module, then go tool mage update:tidy"},
	{"cannot find module providing package", "add the requirement: go get <module> in this module, then go tool mage update:tidy"},
	{"is replaced but not required", "go tool mage update:tidy"},
	{"updates to go.mod needed", "go tool mage update:tidy"},
	{"listed in go.work file requires go", "go tool mage update:workspace raises go.work's go line to the highest module's"},
	{"appears multiple times in workspace", "remove the duplicate use directive from go.work"},
	{"conflicting replacements", "keep one replace of the module (in go.work, or the same in every go.mod)"},
	{"is a program, not an importable package", "import a library package instead"},
	{"import cycle not allowed", "break the cycle between the packages named"},
	{"found packages", "every Go file of a directory must declare the same package"},
	{"does not contain modules listed in go.work", "go tool mage update:workspace adds the module to go.work"},
	{"403 Forbidden", "the module proxy refuses this module version: require one it serves, or, if the module that needs it is no part of the product (an example, a tool), keep it out of hackless's view with workspace.exclude in hackless.yaml"},
	{"404 Not Found", "the module proxy has no such module version: require one it serves, or, if the module that needs it is no part of the product (an example, a tool), keep it out of hackless's view with workspace.exclude in hackless.yaml"},
	{"410 Gone", "the module proxy has no such module version: require one it serves, or, if the module that needs it is no part of the product (an example, a tool), keep it out of hackless's view with workspace.exclude in hackless.yaml"},
}

// goProgress matches the go command's progress lines on stderr, which
// are never errors: a cold module cache prints one per module.
var goProgress = regexp.MustCompile(`^go: (downloading|finding|extracting|found|upgraded|added|downgraded|removed) `)

// fixLineRE matches the go command's own fix, printed on the line after
// "…; to update it:" or "…; to add:".
var fixLineRE = regexp.MustCompile(`;\s*to (?:update it|add it|add|fix|update):?\s*$`)

// goFailure turns what a failed go command printed into findings: each
// error at the file and line it names (module errors at go.work or the
// go.mod they concern), its continuation lines (the modules of an
// ambiguous import) kept, and a one-line hint of the fix, the go
// command's own where it prints one. Lines it cannot place are returned.
func goFailure(output string, rel func(string) string, fallback build.Position) (findings []build.Finding, unplaced []string) {
	lines := strings.Split(strings.TrimRight(output, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "go: warning:") || goProgress.MatchString(line) {
			continue // a warning (a pattern that matched no packages), or progress, is no failure
		}
		var cont []string
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "\t") {
			i++
			cont = append(cont, strings.TrimSpace(lines[i]))
		}
		f, ok := parsePos(line, rel)
		if !ok {
			msg := strings.TrimPrefix(line, "go: ")
			if msg == line && !strings.Contains(line, "go.work") && !strings.Contains(line, "go.mod") {
				unplaced = append(unplaced, line)
				unplaced = append(unplaced, cont...)
				continue
			}
			f = build.Finding{Pos: goErrorPosition(msg, fallback), Message: msg}
		}
		hint := ""
		if fixLineRE.MatchString(f.Message) && len(cont) > 0 {
			// The fix is every continuation line: "cd <dir>" then the
			// command.
			f.Message = fixLineRE.ReplaceAllString(f.Message, "")
			for j, c := range cont {
				if d, ok := strings.CutPrefix(c, "cd "); ok {
					if r := rel(d); r != "" && r != "." {
						cont[j] = "cd " + r
					} else {
						cont[j] = ""
					}
				}
			}
			hint = "fix: " + strings.Join(slices.DeleteFunc(cont, func(c string) bool { return c == "" }), " && ")
			cont = nil
		}
		if len(cont) > 0 {
			f.Message += ": " + strings.Join(cont, "; ")
		}
		if hint == "" {
			for _, h := range goErrorHints {
				if strings.Contains(f.Message, h.fragment) {
					hint = "hint: " + h.hint
					break
				}
			}
		}
		if hint != "" {
			f.Detail = hint
		}
		if outside(f.Pos.File) {
			// A file of the module cache, or elsewhere outside the tree:
			// no fix is made there. Say where, at the place in the tree.
			where := f.Pos.String()
			if _, inCache, ok := strings.Cut(filepath.ToSlash(where), "/pkg/mod/"); ok {
				where = "the module cache's " + inCache
			}
			f.Pos, f.Message = fallback, f.Message+" (in "+where+")"
		}
		findings = append(findings, f)
	}
	return findings, unplaced
}

// outside reports whether a root-relative path is outside the tree.
func outside(rel string) bool {
	return filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../")
}

// dedupe keeps one finding of each message: one load error (a module the
// proxy refuses, say) is reported once, not at every import line that
// pulls it in; the first place stands, and the count of the others is
// said.
func dedupe(fs []build.Finding) []build.Finding {
	var out []build.Finding
	seen := make(map[string]int) // message and detail -> index in out
	more := make(map[int]int)
	for _, f := range fs {
		k := f.Message + "\x00" + f.Detail
		if i, ok := seen[k]; ok {
			more[i]++
			continue
		}
		seen[k] = len(out)
		out = append(out, f)
	}
	for i, n := range more {
		out[i].Message += fmt.Sprintf(" (and at %d more places)", n)
	}
	return out
}

// goModRE finds the go.mod or go.work file an error without a position
// names.
var goModRE = regexp.MustCompile(`(\S*go\.(?:mod|work))(?::(\d+))?`)

func goErrorPosition(msg string, fallback build.Position) build.Position {
	if strings.Contains(msg, "go.work") {
		return build.Position{File: "go.work", Line: 1}
	}
	if m := goModRE.FindStringSubmatch(msg); m != nil && strings.HasSuffix(m[1], "go.mod") && !strings.HasPrefix(m[1], "/") {
		return build.Position{File: m[1], Line: 1}
	}
	return fallback
}

// reportGoError reports a go command that failed (an error from
// Pass.Output) as findings: each error at the file and line it names, with
// a hint of the fix (goFailure), and, when nothing could be placed, one
// finding at fallback that says what failed with the go command's last
// lines, never a bare exit status. dir is the directory the command ran in
// (root-relative; "" for the root), against which relative file names are
// resolved. It returns the context's error when the run was interrupted,
// for the step to return.
func reportGoError(pass *build.Pass, what, dir string, err error, fallback build.Position) error {
	if ctxErr := pass.Context().Err(); ctxErr != nil {
		return ctxErr
	}
	base := pass.Workspace.Abs(dir)
	rel := func(p string) string {
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		return pass.Workspace.Rel(p)
	}
	findings, unplaced := goFailure(goErrorText(err), rel, fallback)
	for _, f := range dedupe(findings) {
		f.Message = what + ": " + f.Message
		pass.Report(f)
	}
	switch {
	case len(findings) == 0 && len(unplaced) > 0:
		pass.Reportf(fallback, "%s failed: %s", what, lastLines(strings.Join(unplaced, "\n"), 10))
	case len(findings) == 0:
		pass.Reportf(fallback, "%s failed: %v", what, err)
	case len(unplaced) > 0:
		pass.Logf("%s also printed:\n%s", what, strings.Join(unplaced, "\n"))
	}
	return nil
}

// goErrorText returns what a command printed on its standard error, from
// an error of Pass.Output (its first line names the command and its exit
// status) or of the workspace's go list.
func goErrorText(err error) string {
	_, text, ok := strings.Cut(err.Error(), "\n")
	if !ok {
		return ""
	}
	return text
}
